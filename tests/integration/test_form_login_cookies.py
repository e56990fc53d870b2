"""Concurrent form logins keep their cookies apart, against the reference's login and consent forms.

Every login flow carries its own cookie jar; the HTTP layer must keep none. When it did (httpx
copied the harness's no-cookie jar into one of the default policy), the first request of every
flow went out with the cookies of whichever flow had logged in last: a provider with a single
sign-on session (oidc-provider) then saw two users' flows in one browser session and refused the
resumed ones ("interaction session and authentication session mismatch"), depending on timing.
The reference ties each login to a browser cookie, so the same leak shows here as two flows
sharing one browser.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator

import pytest

from harness.egress import EgressPolicy
from harness.exchange import Exchange
from harness.http import HttpClient
from harness.oauth.authorize import AuthorizationFlow, authorization_url, authorize
from harness.oauth.login import FormLogin
from harness.oauth.pkce import new_pkce
from harness.redact import SecretVault
from simulators.reference import USERS, ReferenceConfig, ReferenceServer
from simulators.reference.login import BROWSER_COOKIE

REDIRECT_URI = "http://127.0.0.1:33418/callback"
FLOWS = 6  # three per user, all at once


@pytest.fixture(scope="module")
def server() -> Iterator[ReferenceServer]:
    with ReferenceServer(ReferenceConfig(login="form")) as running:
        yield running


def _cookie(exchange: Exchange) -> str | None:
    return next((v for k, v in exchange.request.headers if k.lower() == "cookie"), None)


async def _flows(server: ReferenceServer, client_id: str) -> list[AuthorizationFlow]:
    policy = EgressPolicy.for_target(server.mcp_url)
    async with HttpClient(vault=SecretVault(()), policy=policy) as http:

        async def login(user: str) -> AuthorizationFlow:
            url = authorization_url(
                server.urls.as_url("authorize"),
                client_id=client_id,
                redirect_uri=REDIRECT_URI,
                pkce=new_pkce(vault=http.vault),
                state=secrets.token_urlsafe(16),
                scope=None,
                resource=server.mcp_url,
            )
            driver = FormLogin(username=user, password=USERS[user])
            return await authorize(http, url, redirect_uri=REDIRECT_URI, driver=driver)

        # one flow completes first, so its cookies exist before the others start
        first = await login("alice")
        users = ["bob", "alice"] * (FLOWS // 2)
        return [first, *await asyncio.gather(*(login(u) for u in users[1:]))]


def test_concurrent_form_logins_share_no_cookie(server: ReferenceServer) -> None:
    client = server.register_client([REDIRECT_URI])
    flows = asyncio.run(_flows(server, client.client_id))

    browsers: list[str] = []
    for flow in flows:
        assert flow.response is not None, flow.problem
        assert flow.response.code is not None, flow.response.error
        first, *later = flow.exchanges
        assert _cookie(first) is None, "a flow's first request carried another flow's cookie"
        sent = {_cookie(e) for e in later}
        assert len(sent) == 1, f"one browser cookie per flow, sent {sent}"
        (cookie,) = sent
        assert cookie is not None
        assert cookie.startswith(f"{BROWSER_COOKIE}=")
        browsers.append(cookie)
    # fingerprints of distinct values: every flow was its own browser
    assert len(set(browsers)) == len(flows), browsers
