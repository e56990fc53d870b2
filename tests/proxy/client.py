"""A correct OAuth + MCP client that reaches everything through the proxy, built from the harness's
own OAuth functions: discovery from the 401 challenge (PRM, then RFC 8414 metadata), the
authorization code flow with PKCE and `resource`, tool calls with the bearer, refresh.
Everything it learns comes from what the proxy served, so it proves the rewriting as it goes."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from harness.egress import EgressPolicy
from harness.http import HttpClient, Response
from harness.oauth.authorize import authorization_url, authorize
from harness.oauth.login import AutoLogin
from harness.oauth.pkce import new_pkce
from harness.oauth.registration import ClientCredentials
from harness.oauth.tokens import TokenResponse, TokenSet, redeem_code, refresh
from harness.redact import SecretVault
from simulators.reference.config import SCOPES

REDIRECT_URI = "http://127.0.0.1:33418/callback"
_METADATA = re.compile(r'resource_metadata="([^"]*)"')


@dataclass(slots=True)
class Session:
    token_endpoint: str = ""
    tokens: TokenSet | None = field(default=None, repr=False)
    session_id: str | None = None
    rpc_id: int = 0


class ProxiedClient:
    def __init__(self, http: HttpClient, mcp_url: str, client: ClientCredentials) -> None:
        self.http = http
        self.mcp_url = mcp_url
        self.client = client
        self.session = Session()

    async def discover(self) -> tuple[str, str]:
        """(authorization endpoint, token endpoint), from the challenge onward."""
        challenge = await self.rpc("initialize", {}, bearer=False)
        assert challenge.status == 401, challenge.exchange.summary()
        found = _METADATA.search(challenge.header("www-authenticate") or "")
        assert found, challenge.header("www-authenticate")
        prm = (await self.http.request("GET", found.group(1))).json_object() or {}
        issuer = str(prm["authorization_servers"][0])  # type: ignore[index]
        parts = urlsplit(issuer)
        well_known = f"{parts.scheme}://{parts.netloc}/.well-known/oauth-authorization-server"
        meta = (await self.http.request("GET", well_known + parts.path)).json_object() or {}
        self.session.token_endpoint = str(meta["token_endpoint"])
        return str(meta["authorization_endpoint"]), self.session.token_endpoint

    async def login(self) -> TokenSet:
        authorization_endpoint, token_endpoint = await self.discover()
        pkce = new_pkce(vault=self.http.vault)
        state = secrets.token_urlsafe(16)
        url = authorization_url(
            authorization_endpoint,
            client_id=self.client.client_id,
            redirect_uri=REDIRECT_URI,
            pkce=pkce,
            state=state,
            scope=" ".join(SCOPES),
            resource=self.mcp_url,
        )
        done = await authorize(self.http, url, redirect_uri=REDIRECT_URI, driver=AutoLogin())
        assert done.response is not None, done.problem
        assert done.response.code, done.response.error
        redeemed = await redeem_code(
            self.http,
            token_endpoint,
            client=self.client,
            code=done.response.code,
            redirect_uri=REDIRECT_URI,
            code_verifier=pkce.verifier,
            resource=self.mcp_url,
        )
        self.session.tokens = redeemed.require_tokens()
        return self.session.tokens

    async def refresh(self) -> TokenResponse:
        assert self.session.tokens is not None
        assert self.session.tokens.refresh_token
        answer = await refresh(
            self.http,
            self.session.token_endpoint,
            client=self.client,
            refresh_token=self.session.tokens.refresh_token,
            resource=self.mcp_url,
        )
        if answer.tokens is not None:
            self.session.tokens = answer.tokens
        return answer

    async def rpc(self, method: str, params: dict[str, object], *, bearer: bool = True) -> Response:
        self.session.rpc_id += 1
        headers = {"accept": "application/json, text/event-stream"}
        if bearer and self.session.tokens is not None:
            headers["authorization"] = f"Bearer {self.session.tokens.access_token}"
        if self.session.session_id:
            headers["mcp-session-id"] = self.session.session_id
        message = {"jsonrpc": "2.0", "id": self.session.rpc_id, "method": method, "params": params}
        response = await self.http.request("POST", self.mcp_url, headers=headers, json_body=message)
        if method == "initialize" and response.status == 200:
            self.session.session_id = response.header("mcp-session-id")
        return response

    async def connect(self) -> None:
        """Log in and initialize the MCP session."""
        await self.login()
        init = await self.rpc(
            "initialize",
            {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "proxied-test-client", "version": "1"},
            },
        )
        assert init.status == 200, init.exchange.summary()

    async def tool(self, name: str, arguments: dict[str, object] | None = None) -> Response:
        return await self.rpc("tools/call", {"name": name, "arguments": arguments or {}})


def http_for(url: str, vault: SecretVault | None = None) -> HttpClient:
    return HttpClient(vault=vault or SecretVault(), policy=EgressPolicy.for_target(url))
