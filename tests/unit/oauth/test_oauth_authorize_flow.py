"""`authorize` against a real authorization server with login and consent pages."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from harness.http import HttpClient
from harness.oauth.authorize import authorization_url, authorize
from harness.oauth.errors import FlowError
from harness.oauth.login import AutoLogin, FormLogin

pytestmark = pytest.mark.anyio


async def form_of(request: Request) -> dict[str, str]:
    """The urlencoded body (python-multipart, which Starlette's form() needs, is not installed)."""
    return dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))


Serve = Callable[[ASGIApp], str]
REDIRECT_URI = "http://127.0.0.1:1/callback"  # nothing listens: it must never be requested
PASSWORD = "correct-horse-battery"

LOGIN = """<html><body><form method="post">
<input type="hidden" name="csrf" value="{csrf}">
<input name="username"><input type="password" name="password">
<button>Log in</button></form></body></html>"""

CONSENT = """<html><body><form method="post" action="/consent">
<input type="hidden" name="tx" value="tx-1">
<button name="choice" value="deny">Deny</button>
<button name="choice" value="approve">Approve</button></form></body></html>"""


def redirect(url: str, status: int = 302) -> Response:
    return RedirectResponse(url, status_code=status)


def auth_server() -> Starlette:
    pending: dict[str, str] = {}

    async def authorize_endpoint(request: Request) -> Response:
        pending["query"] = request.url.query
        return redirect("login?step=1")  # relative, resolved against /oauth/authorize

    async def login(request: Request) -> Response:
        if request.method == "GET":
            page = HTMLResponse(LOGIN.format(csrf="csrf-123456"))
            page.set_cookie("sid", "session-abcdef")
            return page
        form = await form_of(request)
        ok = (
            form.get("username") == "alice"
            and form.get("password") == PASSWORD
            and form.get("csrf") == "csrf-123456"
            and request.cookies.get("sid") == "session-abcdef"
        )
        if not ok:
            return HTMLResponse(LOGIN.format(csrf="csrf-123456"))
        return redirect("/consent", 303)

    async def consent(request: Request) -> Response:
        if request.method == "GET":
            return HTMLResponse(CONSENT)
        form = await form_of(request)
        if form.get("choice") != "approve" or form.get("tx") != "tx-1":
            return PlainTextResponse("denied", status_code=400)
        state = dict(request.query_params).get("state", "")
        query = urlencode({"code": "code-123456", "state": state, "iss": "https://as.test"})
        return redirect(f"{REDIRECT_URI}?{query}")

    async def auto(request: Request) -> Response:
        return redirect("/auto/next")

    async def auto_next(request: Request) -> Response:
        return redirect(f"{REDIRECT_URI}?error=access_denied&state=s1", 307)

    async def loop(request: Request) -> Response:
        return redirect("/loop")

    async def metadata_ip(request: Request) -> Response:
        return redirect("http://169.254.169.254/latest/meta-data/")

    async def error_page(request: Request) -> Response:
        return PlainTextResponse("invalid redirect_uri", status_code=400)

    return Starlette(
        routes=[
            Route("/oauth/authorize", authorize_endpoint),
            Route("/oauth/login", login, methods=["GET", "POST"]),
            Route("/consent", consent, methods=["GET", "POST"]),
            Route("/auto", auto),
            Route("/auto/next", auto_next),
            Route("/loop", loop),
            Route("/imds", metadata_ip),
            Route("/error", error_page),
        ]
    )


async def test_form_login_and_consent(http: HttpClient, serve: Serve) -> None:
    base = serve(auth_server())
    url = authorization_url(
        base + "/oauth/authorize",
        client_id="c1",
        redirect_uri=REDIRECT_URI,
        pkce=None,
        state="s1",
        scope=None,
        resource=None,
    )
    flow = await authorize(
        http,
        url,
        redirect_uri=REDIRECT_URI,
        driver=FormLogin(username="alice", password=PASSWORD),
    )
    assert flow.problem is None
    code, response = flow.require_code()
    assert code == "code-123456"
    assert response.iss == "https://as.test"
    assert response.redirect_status == 302
    assert [e.request.method for e in flow.exchanges] == ["GET", "GET", "POST", "GET", "POST"]
    assert not any(e.request.url.startswith(REDIRECT_URI) for e in flow.exchanges)
    recorded = " ".join(str(e.to_json()) for e in flow.exchanges)
    assert PASSWORD not in recorded
    assert "session-abcdef" not in recorded
    assert "code-123456" not in recorded


async def test_wrong_password_stops(http: HttpClient, serve: Serve) -> None:
    base = serve(auth_server())
    flow = await authorize(
        http,
        base + "/oauth/authorize",
        redirect_uri=REDIRECT_URI,
        driver=FormLogin(username="alice", password="wrong-password"),
    )
    assert flow.response is None
    assert "wrong username or password" in (flow.problem or "")
    with pytest.raises(FlowError) as info:
        flow.require_code()
    assert info.value.step == "authorize"
    assert "wrong-password" not in str(info.value)


async def test_auto_login_follows_redirects_and_reports_status(
    http: HttpClient, serve: Serve
) -> None:
    base = serve(auth_server())
    flow = await authorize(http, base + "/auto", redirect_uri=REDIRECT_URI, driver=AutoLogin())
    assert flow.response is not None
    assert flow.response.error == "access_denied"
    assert flow.response.state == "s1"
    assert flow.response.redirect_status == 307
    assert len(flow.exchanges) == 2


async def test_auto_login_stops_at_a_page(http: HttpClient, serve: Serve) -> None:
    base = serve(auth_server())
    flow = await authorize(
        http, base + "/oauth/authorize", redirect_uri=REDIRECT_URI, driver=AutoLogin()
    )
    assert flow.response is None
    assert "form login mode" in (flow.problem or "")


async def test_bounded_hops(http: HttpClient, serve: Serve) -> None:
    base = serve(auth_server())
    flow = await authorize(
        http, base + "/loop", redirect_uri=REDIRECT_URI, driver=AutoLogin(max_hops=4)
    )
    assert len(flow.exchanges) == 4
    assert flow.problem == "no redirect to the redirect URI after 4 requests"


async def test_egress_refusal_stops_the_flow(http: HttpClient, serve: Serve) -> None:
    base = serve(auth_server())
    flow = await authorize(http, base + "/imds", redirect_uri=REDIRECT_URI, driver=AutoLogin())
    assert flow.response is None
    assert "refused to follow" in (flow.problem or "")
    assert len(flow.exchanges) == 1


async def test_error_page_is_data(http: HttpClient, serve: Serve) -> None:
    base = serve(auth_server())
    flow = await authorize(http, base + "/error", redirect_uri=REDIRECT_URI, driver=AutoLogin())
    assert flow.response is None
    assert flow.problem is not None
    assert "400" in flow.problem
