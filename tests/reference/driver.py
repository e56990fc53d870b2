"""A small OAuth/MCP client driver for the reference-target tests, on servers at 127.0.0.1:0.

The driver talks to the server from outside over real HTTP, deliberately independent of
`harness.http`, so a bug in the harness can never hide a bug in the reference target.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import httpx

from simulators.reference import ReferenceConfig, ReferenceServer

REDIRECT_URI = "http://127.0.0.1:8765/callback"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def query_of(response: httpx.Response) -> dict[str, str]:
    """The parameters of a redirect's Location (first value of each)."""
    location = response.headers.get("location", "")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def b64url_json(value: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


@dataclass
class Registered:
    client_id: str
    client_secret: str | None
    redirect_uri: str


@dataclass
class Driver:
    """Plays a well-behaved MCP client (DCR, PKCE S256, resource indicators) against a server."""

    server: ReferenceServer
    http: httpx.Client  # noqa: TID251 - see the module docstring
    default_clients: dict[str, Registered] = field(default_factory=dict)

    # --- OAuth ------------------------------------------------------------------------------

    def register(self, **metadata: object) -> httpx.Response:
        body: dict[str, object] = {
            "redirect_uris": [REDIRECT_URI],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "client_name": "reference-tests",
        }
        body.update(metadata)
        return self.http.post(self.server.urls.as_url("register"), json=body)

    def client(self) -> Registered:
        if "public" not in self.default_clients:
            data = self.register().json()
            self.default_clients["public"] = Registered(data["client_id"], None, REDIRECT_URI)
        return self.default_clients["public"]

    def authorize(self, client: Registered, **overrides: str | None) -> httpx.Response:
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": client.redirect_uri,
            "scope": "notes:read",
            "state": "state-123",
            "resource": self.server.mcp_url,
        }
        params.update(overrides)
        sent = {k: v for k, v in params.items() if v is not None}
        return self.http.get(self.server.urls.as_url("authorize"), params=sent)

    def code(self, client: Registered, **overrides: str | None) -> tuple[str, str]:
        """(code, verifier) from an auto-login authorization."""
        verifier, challenge = pkce_pair()
        response = self.authorize(
            client, code_challenge=challenge, code_challenge_method="S256", **overrides
        )
        assert response.status_code in {302, 307}, response.text
        return query_of(response)["code"], verifier

    def token(self, **form: str) -> httpx.Response:
        return self.http.post(self.server.urls.as_url("token"), data=form)

    def redeem(
        self, client: Registered, code: str, verifier: str, resource: str | None = None
    ) -> httpx.Response:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": client.redirect_uri,
            "client_id": client.client_id,
            "code_verifier": verifier,
            "resource": resource or self.server.mcp_url,
        }
        return self.token(**form)

    def tokens(
        self, *, scope: str = "notes:read", resource: str | None = None, user: str = "alice"
    ) -> dict[str, str]:
        client = self.client()
        resource = resource or self.server.mcp_url
        code, verifier = self.code(client, scope=scope, resource=resource, login_hint=user)
        response = self.redeem(client, code, verifier, resource)
        assert response.status_code == 200, response.text
        data: dict[str, str] = response.json()
        return data

    def access_token(self, **kwargs: str) -> str:
        return self.tokens(**kwargs)["access_token"]

    # --- MCP --------------------------------------------------------------------------------

    def rpc(
        self,
        method: str,
        params: dict[str, object] | None = None,
        *,
        token: str | None = None,
        session: str | None = None,
        url: str | None = None,
        headers: dict[str, str] | None = None,
        rpc_id: int | None = 1,
    ) -> httpx.Response:
        message: dict[str, object] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        if rpc_id is not None:
            message["id"] = rpc_id
        sent = {"Accept": "application/json, text/event-stream"}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if session is not None:
            sent["Mcp-Session-Id"] = session
        sent.update(headers or {})
        return self.http.post(url or self.server.mcp_url, json=message, headers=sent)

    def initialize(self, token: str, url: str | None = None) -> str:
        params = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t"}}
        response = self.rpc("initialize", params, token=token, url=url)
        assert response.status_code == 200, response.text
        session = response.headers["mcp-session-id"]
        ack = self.rpc(
            "notifications/initialized", token=token, session=session, url=url, rpc_id=None
        )
        assert ack.status_code == 202
        return session

    def call_tool(
        self, name: str, token: str, session: str, url: str | None = None, **args: object
    ) -> httpx.Response:
        params = {"name": name, "arguments": args}
        return self.rpc("tools/call", params, token=token, session=session, url=url)


@contextmanager
def running(config: ReferenceConfig | None = None) -> Iterator[Driver]:
    with (
        ReferenceServer(config or ReferenceConfig()) as server,
        httpx.Client(timeout=10) as http,  # noqa: TID251 - independent of harness.http on purpose
    ):
        yield Driver(server=server, http=http)
