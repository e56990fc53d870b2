"""Getting the tokens the resource-server probes present: narrow, for another resource, for a
second user, or simply fresh (to revoke or refresh without disturbing the run's main grant).

Every flow reuses the main grant's discovery and runs the authorization code flow with PKCE as a
new client (the configured one if any). The client registers the scope it will ask for, so an
authorization server that limits clients to their registered scope grants what was requested.
A second user is reached with `login_hint` (auto login) and, in form mode, that user's password.
In the static login mode no flow runs: the tokens come from the configuration (`static.py`).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from harness import __version__
from harness.config import UserCredentials
from harness.engine import Run
from harness.errors import NotApplicable, TargetError
from harness.http import Exchange
from harness.oauth.authorize import authorization_url, authorize
from harness.oauth.errors import FlowError
from harness.oauth.pkce import new_pkce
from harness.oauth.registration import ClientCredentials, register, registration_body
from harness.oauth.tokens import TokenSet, redeem_code
from harness.probes.grant import DEFAULT_REDIRECT_URI, Grant, login_driver, try_grant
from harness.probes.resource.forge import parse_jws
from harness.probes.static import extra_token, is_static, wallet

# what the checks ask for when the harness cannot get the token they need
MIN_REMAINING_S = 30.0  # a token closer to expiry than this is replaced before a probe uses it
EXPIRY_SLACK_S = 1.0  # `exp` is whole seconds: a token may lapse up to a second early
SECOND_USER_HINT = (
    "configure [login.second_user] (username, and password for the form login mode); in the auto "
    "login mode the authorization server must honour login_hint"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Obtained:
    """Tokens from one authorization code flow, and what was asked for."""

    tokens: TokenSet
    client: ClientCredentials
    scope: str | None  # the scope requested
    resource: str
    exchanges: tuple[Exchange, ...]

    @property
    def authorization(self) -> str:
        return f"Bearer {self.tokens.access_token}"

    @property
    def granted_scopes(self) -> frozenset[str]:
        """The scopes the token response states, else the ones requested."""
        return frozenset((self.tokens.scope or self.scope or "").split())


class TokenExpired(Exception):
    """A token the probe relied on lapsed before the probe was done with it."""


def lapsed(tokens: TokenSet) -> bool:
    expires_at = tokens.expires_at
    return expires_at is not None and time.monotonic() >= expires_at - EXPIRY_SLACK_S


def still_valid(status: int | None, tokens: TokenSet) -> None:
    """A 401 to a token that has lapsed proves nothing: `TokenExpired` (the probe is retried)."""
    if status == 401 and lapsed(tokens):
        raise TokenExpired


async def retried[T](probe: Callable[[], Awaitable[T]]) -> T:
    """Run `probe`; once more (it then gets fresh tokens) if a token lapsed under it."""
    try:
        return await probe()
    except TokenExpired:
        pass
    return await last_try(probe())


async def last_try[T](attempt: Awaitable[T]) -> T:
    """`attempt`, with a lapsed token turned into `TargetError` (the verdict is `error`)."""
    try:
        return await attempt
    except TokenExpired as exc:
        raise TargetError(
            "the access tokens expired before the probe could use them, twice; the tokens "
            "are too short-lived for this probe (or the machine too busy)"
        ) from exc


async def main_grant(run: Run) -> Grant:
    """The run's main grant, or `NotApplicable` saying why there is none."""
    grant, reason = await try_grant(run)
    if grant is None:
        raise NotApplicable(f"needs a valid token, which could not be obtained: {reason}")
    return grant


async def live_tokens(run: Run, *, purpose: str) -> Obtained:
    """The main grant's tokens while they have time left, else a fresh flow's: a probe that
    presents a valid token must not have it expire under it (short-lived tokens, long runs)."""
    grant = await main_grant(run)
    if is_static(run):  # the configured token, refreshed when it runs low and it can be
        held = await wallet(run)
        tokens = await held.live(run, min_remaining_s=MIN_REMAINING_S)
        return Obtained(
            tokens=tokens,
            client=grant.client,
            scope=tokens.scope,
            resource=grant.resource,
            exchanges=(),
        )
    expires_at = grant.tokens.expires_at
    if expires_at is None or expires_at - time.monotonic() > MIN_REMAINING_S:
        return Obtained(
            tokens=grant.tokens,
            client=grant.client,
            scope=grant.scope,
            resource=grant.resource,
            exchanges=grant.exchanges,
        )
    return await tokens_or_skip(run, purpose=purpose)


async def fresh_tokens(
    run: Run,
    *,
    purpose: str,
    scope: str | None = None,
    resource: str | None = None,
    user: UserCredentials | None = None,
) -> Obtained:
    """One more authorization code flow. `scope` None asks for what the main grant asked for.
    In the static login mode: the configured token for that scope, resource or user."""
    grant = await main_grant(run)
    if is_static(run):
        extra = extra_token(
            run,
            await wallet(run),
            purpose=purpose,
            scope=scope,
            resource=resource,
            second_user=user is not None,
        )
        return Obtained(
            tokens=extra.tokens,
            client=grant.client,
            scope=extra.scope,
            resource=extra.resource,
            exchanges=(),
        )
    discovery = grant.discovery
    endpoints = discovery.require_endpoints()
    requested = scope if scope is not None else grant.scope
    client = await _client(run, endpoints.registration_endpoint, purpose, requested)
    pkce = new_pkce(vault=run.http.vault)
    state = secrets.token_urlsafe(16)
    redirect_uri = client.redirect_uris[0] if client.redirect_uris else DEFAULT_REDIRECT_URI
    audience = resource or discovery.resource
    hint = [("login_hint", user.username)] if user is not None and user.username else []
    url = authorization_url(
        endpoints.authorization_endpoint or "",
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        pkce=pkce,
        state=state,
        scope=requested or None,
        resource=audience,
        extra=hint,
    )
    flow = await authorize(run.http, url, redirect_uri=redirect_uri, driver=login_driver(run, user))
    code = flow.response.code if flow.response is not None else None
    if code is None or flow.response is None:
        error = flow.response.error if flow.response is not None else None
        raise FlowError("authorization", flow.problem or error or "no code", flow.exchanges)
    if flow.response.state != state:
        raise FlowError("authorization", "the state did not come back unchanged", flow.exchanges)
    redeemed = await redeem_code(
        run.http,
        grant.token_endpoint,
        client=client,
        code=code,
        redirect_uri=redirect_uri,
        code_verifier=pkce.verifier,
        resource=audience,
    )
    if redeemed.tokens is None:
        raise FlowError("token", f"refused: {redeemed.error}", (redeemed.response.exchange,))
    return Obtained(
        tokens=redeemed.tokens,
        client=client,
        scope=requested,
        resource=audience,
        exchanges=(*flow.exchanges, redeemed.response.exchange),
    )


async def tokens_or_skip(
    run: Run,
    *,
    purpose: str,
    scope: str | None = None,
    resource: str | None = None,
    user: UserCredentials | None = None,
) -> Obtained:
    """`fresh_tokens`, with a refused flow turned into `NotApplicable` naming what was asked."""
    try:
        return await fresh_tokens(run, purpose=purpose, scope=scope, resource=resource, user=user)
    except FlowError as exc:
        asked = ", ".join(
            part
            for part in (
                f"scope {scope!r}" if scope else "",
                f"resource {resource}" if resource else "",
                f"user {user.username}" if user and user.username else "",
            )
            if part
        )
        raise NotApplicable(
            f"the harness could not get the token it needs ({asked or purpose}): {exc}"
        ) from exc


async def second_user_tokens(run: Run, *, purpose: str, scope: str | None = None) -> Obtained:
    """A token of `[login.second_user]`; `NotApplicable` when none is configured or reachable."""
    second = run.config.login.second_user
    if is_static(run):  # [login.second_user].access_token, else a skip naming that key
        user = second or UserCredentials()
        return await fresh_tokens(run, purpose=purpose, scope=scope, user=user)
    if second is None or not second.username:
        raise NotApplicable(f"needs a second user: {SECOND_USER_HINT}")
    return await tokens_or_skip(run, purpose=purpose, scope=scope, user=second)


async def _client(
    run: Run, registration_endpoint: str | None, purpose: str, scope: str | None
) -> ClientCredentials:
    configured = run.config.client
    if configured is not None:
        return ClientCredentials(
            client_id=configured.client_id,
            client_secret=configured.client_secret,
            redirect_uris=(configured.redirect_uri or DEFAULT_REDIRECT_URI,),
            token_endpoint_auth_method="client_secret_basic"
            if configured.client_secret
            else "none",
        )
    if not registration_endpoint:
        raise NotApplicable(
            "the authorization server offers no registration endpoint; "
            "configure a pre-registered client in [client]"
        )
    body = registration_body(
        client_name=f"mcp-auth-harness {__version__} ({purpose})",
        redirect_uris=(DEFAULT_REDIRECT_URI,),
        scope=scope or None,
    )
    registration = await register(run.http, registration_endpoint, body)
    if registration.credentials is None:
        raise FlowError(
            "registration", f"refused: {registration.error}", (registration.response.exchange,)
        )
    return registration.credentials


def jwt_claim(token: str, name: str) -> object:
    """A claim of a JWT access token, read without verification; None for opaque tokens."""
    parsed = parse_jws(token)
    return parsed.claims.get(name) if parsed is not None else None


def audiences(token: str) -> tuple[str, ...] | None:
    """The `aud` of a JWT access token; None when the token is opaque or has none."""
    aud = jwt_claim(token, "aud")
    if isinstance(aud, str):
        return (aud,)
    if isinstance(aud, list):
        return tuple(a for a in aud if isinstance(a, str))
    return None
