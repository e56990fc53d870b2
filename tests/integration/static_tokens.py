"""Tokens obtained out of band, as a user of the static login mode would bring them.

The test plays the user's side: a client pre-registered at the reference (its direct API, as an
administrator would), then the authorization code flow with PKCE driven by the harness's own OAuth
client functions, once per token (main with a refresh token, narrow, second user, other
resource). The harness run under test gets only the resulting `Config`: `[login].mode = static`.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field, replace

from harness.config import ClientConfig, Config, LoginConfig, UserCredentials
from harness.egress import EgressPolicy
from harness.http import HttpClient
from harness.oauth.authorize import authorization_url, authorize
from harness.oauth.login import AutoLogin
from harness.oauth.pkce import new_pkce
from harness.oauth.registration import ClientCredentials
from harness.oauth.tokens import TokenSet, redeem_code
from harness.redact import SecretVault
from simulators.reference import ReferenceServer
from simulators.reference.config import READ_SCOPE, SCOPES

REDIRECT_URI = "http://127.0.0.1:33418/callback"
FULL_SCOPE = " ".join(SCOPES)


@dataclass(frozen=True, slots=True, kw_only=True)
class OutOfBand:
    """What the user brings: the client and the tokens (never printed)."""

    client: ClientCredentials
    token_endpoint: str
    main: TokenSet = field(repr=False)
    narrow: TokenSet = field(repr=False)
    second_user: TokenSet = field(repr=False)
    other_resource: TokenSet = field(repr=False)

    def secrets(self) -> tuple[str, ...]:
        tokens = (self.main, self.narrow, self.second_user, self.other_resource)
        values = [t.access_token for t in tokens] + [t.refresh_token or "" for t in tokens]
        return tuple(v for v in values if v)


def obtain(server: ReferenceServer) -> OutOfBand:
    """Run the flows against `server` (blocking; the server runs in its own thread)."""
    client = server.register_client([REDIRECT_URI])
    return asyncio.run(_obtain(server, client))


async def _obtain(server: ReferenceServer, client: ClientCredentials) -> OutOfBand:
    policy = EgressPolicy.for_target(server.mcp_url)
    async with HttpClient(vault=SecretVault(()), policy=policy) as http:

        async def flow(scope: str, resource: str, user: str | None = None) -> TokenSet:
            pkce = new_pkce(vault=http.vault)
            state = secrets.token_urlsafe(16)
            url = authorization_url(
                server.urls.as_url("authorize"),
                client_id=client.client_id,
                redirect_uri=REDIRECT_URI,
                pkce=pkce,
                state=state,
                scope=scope,
                resource=resource,
                extra=[("login_hint", user)] if user else [],
            )
            done = await authorize(http, url, redirect_uri=REDIRECT_URI, driver=AutoLogin())
            assert done.response is not None, done.problem
            assert done.response.code is not None, done.response.error
            assert done.response.state == state
            redeemed = await redeem_code(
                http,
                server.urls.as_url("token"),
                client=client,
                code=done.response.code,
                redirect_uri=REDIRECT_URI,
                code_verifier=pkce.verifier,
                resource=resource,
            )
            return redeemed.require_tokens()

        main, narrow, second, other = await asyncio.gather(
            flow(FULL_SCOPE, server.mcp_url),
            flow(READ_SCOPE, server.mcp_url),
            flow(FULL_SCOPE, server.mcp_url, user="bob"),
            flow(FULL_SCOPE, server.other_mcp_url),
        )
    assert main.refresh_token, "the reference issues refresh tokens to this client"
    return OutOfBand(
        client=client,
        token_endpoint=server.urls.as_url("token"),
        main=main,
        narrow=narrow,
        second_user=second,
        other_resource=other,
    )


def static_config(base: Config, tokens: OutOfBand) -> Config:
    """`base` (a fully configured reference run) switched to the static login mode."""
    second = base.login.second_user or UserCredentials()
    login = LoginConfig(
        mode="static",
        access_token=tokens.main.access_token,
        refresh_token=tokens.main.refresh_token,
        token_endpoint=tokens.token_endpoint,
        narrow_token=tokens.narrow.access_token,
        other_resource_token=tokens.other_resource.access_token,
        second_user=replace(second, password=None, access_token=tokens.second_user.access_token),
    )
    return replace(
        base,
        login=login,
        client=_client_config(tokens.client),
        narrow_scopes=(READ_SCOPE,),
    )


def _client_config(client: ClientCredentials) -> ClientConfig:
    return ClientConfig(
        client_id=client.client_id,
        client_secret=client.client_secret,
        redirect_uri=REDIRECT_URI,
    )
