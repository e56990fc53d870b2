"""Registration, token redemption, refresh and revocation against a real server."""

from __future__ import annotations

import base64
from collections.abc import Callable
from urllib.parse import parse_qsl, unquote_plus

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from harness.http import HttpClient
from harness.oauth.registration import ClientCredentials, register, registration_body
from harness.oauth.tokens import redeem_code, refresh, revoke

pytestmark = pytest.mark.anyio


async def form_of(request: Request) -> dict[str, str]:
    """The urlencoded body (python-multipart, which Starlette's form() needs, is not installed)."""
    return dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))


Serve = Callable[[ASGIApp], str]
SECRET = "client-secret-with:colon"


def basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.startswith("Basic "):
        return None
    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    return unquote_plus(user), unquote_plus(password)


def server() -> Starlette:
    async def register_endpoint(request: Request) -> Response:
        body = await request.json()
        if body.get("redirect_uris") == ["javascript:alert(1)"]:
            return JSONResponse(
                {"error": "invalid_redirect_uri", "error_description": "no"}, status_code=400
            )
        if body.get("client_name") == "no id":
            return JSONResponse({"client_name": "no id"}, status_code=201)
        return JSONResponse(
            {
                **body,
                "client_id": "client-1",
                "client_secret": SECRET,
                "token_endpoint_auth_method": "client_secret_basic",
            },
            status_code=201,
        )

    async def token(request: Request) -> Response:
        form = await form_of(request)
        if basic_credentials(request) != ("client-1", SECRET):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        if form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") != "refresh-tok-1":
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            return JSONResponse(
                {"access_token": "access-tok-2", "token_type": "Bearer", "scope": form.get("scope")}
            )
        if form.get("code_verifier") != "v" * 43 or form.get("resource") != "https://mcp.test/mcp":
            return JSONResponse({"error": "invalid_grant", "error_description": "pkce"}, 400)
        return JSONResponse(
            {
                "access_token": "access-tok-1",
                "token_type": "Bearer",
                "expires_in": 3600,
                "refresh_token": "refresh-tok-1",
                "scope": "notes:read",
                "extra": form.get("audience"),
            },
            headers={"cache-control": "no-store"},
        )

    async def revoke_endpoint(request: Request) -> Response:
        form = await form_of(request)
        if basic_credentials(request) is None or form.get("token_type_hint") != "refresh_token":
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        return PlainTextResponse("")

    return Starlette(
        routes=[
            Route("/register", register_endpoint, methods=["POST"]),
            Route("/token", token, methods=["POST"]),
            Route("/revoke", revoke_endpoint, methods=["POST"]),
        ]
    )


async def test_register_then_redeem_refresh_and_revoke(http: HttpClient, serve: Serve) -> None:
    base = serve(server())
    body = registration_body(client_name="harness", redirect_uris=["http://127.0.0.1:1/cb"])
    registration = await register(http, base + "/register", body)
    assert registration.error is None
    client = registration.credentials
    assert client == ClientCredentials(
        client_id="client-1",
        client_secret=SECRET,
        redirect_uris=("http://127.0.0.1:1/cb",),
        token_endpoint_auth_method="client_secret_basic",
    )
    assert SECRET in http.vault

    redeemed = await redeem_code(
        http,
        base + "/token",
        client=client,
        code="code-abcdef",
        redirect_uri="http://127.0.0.1:1/cb",
        code_verifier="v" * 43,
        resource="https://mcp.test/mcp",
        extra={"audience": "x"},
    )
    tokens = redeemed.require_tokens()
    assert tokens.access_token == "access-tok-1"
    assert tokens.expires_in == 3600
    assert tokens.expires_at == tokens.obtained_at + 3600
    assert tokens.scopes == ("notes:read",)
    assert tokens.raw["extra"] == "x"
    assert tokens.authorization == "Bearer access-tok-1"
    assert "access-tok-1" in http.vault
    assert "access-tok-1" not in repr(tokens)
    recorded = str(redeemed.response.exchange.to_json())
    for secret in ("access-tok-1", "refresh-tok-1", "code-abcdef", "v" * 43):
        assert secret not in recorded

    refreshed = await refresh(
        http, base + "/token", client=client, refresh_token="refresh-tok-1", scope="notes:read"
    )
    assert refreshed.tokens is not None
    assert refreshed.tokens.access_token == "access-tok-2"
    assert refreshed.tokens.expires_at is None

    revoked = await revoke(
        http,
        base + "/revoke",
        client=client,
        token="refresh-tok-1",
        token_type_hint="refresh_token",
    )
    assert revoked.ok
    assert revoked.error is None


async def test_refusals_are_data(http: HttpClient, serve: Serve) -> None:
    base = serve(server())
    bad = await register(
        http,
        base + "/register",
        registration_body(client_name="x", redirect_uris=["javascript:alert(1)"]),
    )
    assert bad.credentials is None
    assert bad.error == "invalid_redirect_uri"
    assert bad.error_description == "no"
    assert bad.response.status == 400

    no_id = await register(http, base + "/register", {"client_name": "no id"})
    assert no_id.error == "HTTP 201 without a client_id"

    public = ClientCredentials(client_id="client-1")
    refused = await redeem_code(
        http,
        base + "/token",
        client=public,
        code="c-123456",
        redirect_uri=None,
        code_verifier=None,
        resource=None,
    )
    assert refused.tokens is None
    assert refused.error == "invalid_client"
    with pytest.raises(Exception, match="invalid_client"):
        refused.require_tokens()
