"""The flow steps the authorization-server probes mutate, and their small helpers."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from urllib.parse import quote

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from harness.config import Config
from harness.engine import Run, Target
from harness.http import HttpClient
from harness.probes.authserver.audience import jwt_audience
from harness.probes.authserver.authorize import is_loopback_ip_uri, unregistered_variants, with_port
from harness.probes.authserver.flow import client_origins, navigate
from harness.probes.authserver.records import AuthzRequest, Navigation

Serve = Callable[[ASGIApp], str]


def test_lands_on_tells_an_added_query_parameter_apart() -> None:
    landed = Navigation(landing="http://127.0.0.1:5000/cb?x=1&code=abc", status=302)
    assert landed.lands_on("http://127.0.0.1:5000/cb")
    assert landed.lands_on("http://127.0.0.1:5000/cb?x=1")
    assert not landed.lands_on("http://127.0.0.1:5000/cb?x=2")
    assert not landed.lands_on("http://127.0.0.1:5001/cb")
    assert landed.code == "abc"
    assert landed.describe() == "HTTP 302 redirect to http://127.0.0.1:5000/cb with a code"


def test_an_error_redirect_is_described_without_its_query() -> None:
    landed = Navigation(landing="http://x.test/cb?error=access_denied&state=s", status=303)
    assert landed.describe() == "HTTP 303 redirect to http://x.test/cb with error=access_denied"
    assert Navigation(problem="stuck").describe() == "stuck"


def test_unregistered_variants_keep_the_canary_port() -> None:
    registered = "http://127.0.0.1:33418/callback"
    base = with_port(registered, 40000)
    variants = dict(unregistered_variants(registered, base, "n1"))
    assert variants == {
        "another path": "http://127.0.0.1:40000/evil-n1",
        "an extra path segment": "http://127.0.0.1:40000/callback/evil",
        "an added query parameter": "http://127.0.0.1:40000/callback?x=n1",
        "another host": "http://attacker-n1.invalid/callback",
    }
    assert is_loopback_ip_uri(registered)
    assert not is_loopback_ip_uri("http://localhost:33418/callback")
    assert not is_loopback_ip_uri("https://127.0.0.1/callback")
    assert with_port("http://[::1]:1/cb", 2) == "http://[::1]:2/cb"


def test_jwt_audience_reads_aud_without_verifying() -> None:
    def jwt(claims: dict[str, object]) -> str:
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"eyJhbGciOiJub25lIn0.{body}.sig"

    assert jwt_audience(jwt({"aud": "https://a"})) == ("https://a",)
    assert jwt_audience(jwt({"aud": ["https://a", 3]})) == ("https://a",)
    assert jwt_audience(jwt({"sub": "x"})) is None
    assert jwt_audience("opaque-token") is None
    assert client_origins("http://127.0.0.1:1/cb", "javascript:x", None) == {
        "http://127.0.0.1:1",
        "http://localhost:1",
        "http://[::1]:1",
    }
    assert client_origins("https://App.example/cb") == {"https://app.example"}


def _authorization_server() -> Starlette:
    async def authorize(request: Request) -> Response:
        target = request.query_params.get("redirect_uri", "")
        if request.query_params.get("client_id") == "app":
            return RedirectResponse("com.example.app:/callback?code=app-code-1", status_code=302)
        if not request.cookies.get("seen"):
            response = RedirectResponse(f"/login?next={quote(request.url.query)}", status_code=302)
            response.set_cookie("seen", "1")
            return response
        return RedirectResponse(f"{target}?code=c0de-value-1&state=s", status_code=302)

    async def login(request: Request) -> Response:
        return RedirectResponse(f"/authorize?{request.query_params['next']}", status_code=303)

    return Starlette(routes=[Route("/authorize", authorize), Route("/login", login)])


@pytest.mark.anyio
async def test_navigate_stops_at_the_client_and_never_requests_it(
    serve: Serve, http: HttpClient
) -> None:
    base = serve(_authorization_server())
    run = Run(http=http, config=Config(), target=Target(mcp_url=base + "/mcp"), probes={})
    endpoint = base + "/authorize"
    client_uri = "http://127.0.0.1:9/cb"  # nothing listens there: a request would fail

    def request(client_id: str) -> AuthzRequest:
        return AuthzRequest(
            client_id=client_id,
            redirect_uri=client_uri,
            pkce=None,
            state="s",
            scope=None,
            resource=None,
        )

    landed = await navigate(run, endpoint, request("c"), stop_at=client_origins(client_uri))
    assert landed.code == "c0de-value-1"
    assert landed.status == 302
    assert len(landed.exchanges) == 3  # authorize → login → authorize (with the cookie)
    native = await navigate(run, endpoint, request("app"), stop_at=client_origins(client_uri))
    assert native.landing == "com.example.app:/callback?code=app-code-1"  # a non-http scheme
    assert len(native.exchanges) == 1
