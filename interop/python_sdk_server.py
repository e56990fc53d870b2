"""An OAuth-protected MCP server built only on the Python `mcp` SDK's public server-auth API.

The harness's interop tests run it as a third-party target: the SDK supplies the authorization
server routes (RFC 8414 metadata, DCR, authorize, token, revoke), the protected resource metadata,
the bearer middleware and the Streamable HTTP transport; this file supplies only an in-memory
`OAuthAuthorizationServerProvider` that auto-approves every authorization request (like the
TypeScript SDK's demo provider) and two tools.

    python interop/python_sdk_server.py [--port N] [--access-ttl S]

It listens on 127.0.0.1 only. `--port 0` (the default) picks a free port; once the server accepts
requests it prints one line, `READY http://127.0.0.1:<port>/mcp`, to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import socket
import sys
import time
from dataclasses import dataclass, field

import uvicorn
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    AuthorizeError,
    IdentityAssertionParams,
    RefreshToken,
    TokenError,
    construct_redirect_uri,
)
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from mcp.server.mcpserver import MCPServer
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from mcp_types import ToolAnnotations

HOST = "127.0.0.1"
READ_SCOPE = "notes:read"
WRITE_SCOPE = "notes:write"
CODE_TTL_S = 300
REFRESH_TTL_S = 24 * 3600
SUBJECT = "demo-user"


@dataclass
class InMemoryProvider:
    """Clients, codes and tokens in dictionaries; every authorization is approved at once."""

    resource: str  # the MCP endpoint: the only RFC 8707 resource this AS issues tokens for
    access_ttl_s: int
    clients: dict[str, OAuthClientInformationFull] = field(default_factory=dict)
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    # access token -> the refresh token issued with it, so revoking one revokes both
    pairs: dict[str, str] = field(default_factory=dict)

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        return self.clients.get(client_id)

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        self.clients[client_info.client_id] = client_info

    async def authorize(
        self, client: OAuthClientInformationFull, params: AuthorizationParams
    ) -> str:
        if params.resource is not None and not self._is_our_resource(params.resource):
            raise AuthorizeError("invalid_target", f"unknown resource {params.resource}")
        scopes = params.scopes if params.scopes is not None else (client.scope or "").split()
        code = secrets.token_urlsafe(32)
        self.codes[code] = AuthorizationCode(
            code=code,
            scopes=scopes,
            expires_at=time.time() + CODE_TTL_S,
            client_id=client.client_id,
            code_challenge=params.code_challenge,
            redirect_uri=params.redirect_uri,
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly,
            resource=params.resource,
            subject=SUBJECT,
        )
        return construct_redirect_uri(str(params.redirect_uri), code=code, state=params.state)

    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> AuthorizationCode | None:
        code = self.codes.get(authorization_code)
        return code if code is not None and code.client_id == client.client_id else None

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: AuthorizationCode
    ) -> OAuthToken:
        if self.codes.pop(authorization_code.code, None) is None:  # single use
            raise TokenError("invalid_grant", "authorization code already used")
        return self._issue(client.client_id, authorization_code.scopes, authorization_code.resource)

    async def load_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: str
    ) -> RefreshToken | None:
        token = self.refresh_tokens.get(refresh_token)
        if token is None or token.client_id != client.client_id:
            return None
        return token

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: RefreshToken, scopes: list[str]
    ) -> OAuthToken:
        if self.refresh_tokens.pop(refresh_token.token, None) is None:  # rotation
            raise TokenError("invalid_grant", "refresh token already used")
        return self._issue(client.client_id, scopes, refresh_token.resource)

    async def load_access_token(self, token: str) -> AccessToken | None:
        access = self.access_tokens.get(token)
        if access is None or (access.expires_at is not None and access.expires_at < time.time()):
            return None
        return access

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        if isinstance(token, AccessToken):
            self.access_tokens.pop(token.token, None)
            refresh = self.pairs.pop(token.token, None)
            if refresh is not None:
                self.refresh_tokens.pop(refresh, None)
            return
        self.refresh_tokens.pop(token.token, None)
        for access, refresh in list(self.pairs.items()):
            if refresh == token.token:
                self.access_tokens.pop(access, None)
                del self.pairs[access]

    async def exchange_identity_assertion(
        self, client: OAuthClientInformationFull, params: IdentityAssertionParams
    ) -> OAuthToken:
        raise TokenError("unsupported_grant_type", "identity assertions are not accepted")

    def _issue(self, client_id: str, scopes: list[str], resource: str | None) -> OAuthToken:
        now = int(time.time())
        access = secrets.token_urlsafe(32)
        refresh = secrets.token_urlsafe(32)
        self.access_tokens[access] = AccessToken(
            token=access,
            client_id=client_id,
            scopes=scopes,
            expires_at=now + self.access_ttl_s,
            resource=resource,
            subject=SUBJECT,
        )
        self.refresh_tokens[refresh] = RefreshToken(
            token=refresh,
            client_id=client_id,
            scopes=scopes,
            expires_at=now + REFRESH_TTL_S,
            resource=resource,
            subject=SUBJECT,
        )
        self.pairs[access] = refresh
        return OAuthToken(
            access_token=access,
            expires_in=self.access_ttl_s,
            scope=" ".join(scopes),
            refresh_token=refresh,
        )

    def _is_our_resource(self, resource: str) -> bool:
        return resource.rstrip("/") == self.resource.rstrip("/")


def build_server(base_url: str, access_ttl_s: int) -> MCPServer:
    mcp_url = f"{base_url}/mcp"
    notes: list[str] = []
    server: MCPServer = MCPServer(
        name="python-sdk-interop",
        auth_server_provider=InMemoryProvider(resource=mcp_url, access_ttl_s=access_ttl_s),
        # strings, not AnyHttpUrl objects: AuthSettings keeps a path-less issuer without the
        # trailing slash AnyHttpUrl would add, so `issuer` is exactly http://127.0.0.1:<port>
        auth=AuthSettings.model_validate(
            {
                "issuer_url": base_url,
                "resource_server_url": mcp_url,
                "required_scopes": [READ_SCOPE],
                "validate_token_resource": True,
                "client_registration_options": ClientRegistrationOptions(
                    enabled=True,
                    valid_scopes=[READ_SCOPE, WRITE_SCOPE],
                    default_scopes=[READ_SCOPE],
                ),
                "revocation_options": RevocationOptions(enabled=True),
            }
        ),
    )

    @server.tool(annotations=ToolAnnotations(read_only_hint=True))
    def whoami() -> str:
        """The client and scopes of the access token the request carries."""
        token = get_access_token()
        if token is None:
            return "anonymous"
        return f"client {token.client_id}, subject {token.subject}, scopes {' '.join(token.scopes)}"

    @server.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False))
    def add_note(text: str) -> str:
        """Store a note in memory (needs the notes:write scope)."""
        token = get_access_token()
        if token is None or WRITE_SCOPE not in token.scopes:
            raise PermissionError(f"the {WRITE_SCOPE} scope is required")
        notes.append(text)
        return f"{len(notes)} notes"

    return server


class _Server(uvicorn.Server):
    """Announces readiness on stdout once uvicorn has started and accepts connections."""

    def __init__(self, config: uvicorn.Config, ready_line: str) -> None:
        super().__init__(config)
        self.ready_line = ready_line

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        sys.stdout.write(self.ready_line + "\n")
        sys.stdout.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any free)")
    parser.add_argument("--access-ttl", type=int, default=3600, help="access-token lifetime, s")
    args = parser.parse_args(argv)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, args.port))
    base_url = f"http://{HOST}:{sock.getsockname()[1]}"

    app = build_server(base_url, args.access_ttl).streamable_http_app(host=HOST)
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    asyncio.run(_Server(config, f"READY {base_url}/mcp").serve(sockets=[sock]))


if __name__ == "__main__":
    main()
