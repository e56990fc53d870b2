"""Static credentials (`[login].mode = "static"`): the configured tokens are the run's credentials.

Users behind an identity provider the harness cannot drive (MFA, an RS-only server whose tokens
come from a separate IdP) supply `[login].access_token`. It is the main credential of every probe
that needs only a bearer. With `[login].refresh_token`, a token endpoint (`[login].token_endpoint`,
else the discovered one) and `[client]`, the harness refreshes it when it runs low and for the
refresh-based session check; the rotated refresh token replaces the configured one. Probes that
need a second token take it from the configuration (`[login].narrow_token`,
`[login].other_resource_token`, `[login.second_user].access_token`) or skip naming the key.
No protected resource metadata is needed: the resource is the target URL's canonical URI.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass

from harness.engine import Probe, Run
from harness.errors import NotApplicable
from harness.oauth.discovery import Discovery
from harness.oauth.registration import ClientCredentials
from harness.oauth.tokens import TokenResponse, TokenSet, refresh
from harness.probes.authserver.flow import configured_client, obtain_discovery
from harness.probes.resource.forge import parse_jws

STATIC_MODE = "[login].mode is static"
NO_FLOW = f"{STATIC_MODE}: the harness cannot run an OAuth flow"


def is_static(run: Run) -> bool:
    return run.config.login.mode == "static"


def token_set(
    token: str, *, refresh_token: str | None = None, scope: str | None = None
) -> TokenSet:
    """A configured token as a token response would give it: the lifetime and scope of a JWT
    come from its `exp` and `scope`/`scp` claims (read unverified: they only plan the probes)."""
    parsed = parse_jws(token)
    claims = parsed.claims if parsed is not None else {}
    exp = claims.get("exp")
    expires_in = None
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        expires_in = int(exp - time.time())
    return TokenSet(
        access_token=token,
        token_type="Bearer",  # noqa: S106 - the scheme, not a secret
        expires_in=expires_in,
        refresh_token=refresh_token,
        scope=_claimed_scope(claims.get("scope"), claims.get("scp")) or scope,
        id_token=None,
        obtained_at=time.monotonic(),
        raw={},
    )


def _claimed_scope(scope: object, scp: object) -> str | None:
    if isinstance(scope, str):
        return scope
    if isinstance(scp, str):
        return scp
    if isinstance(scp, list):
        return " ".join(s for s in scp if isinstance(s, str)) or None
    return None


def jwt_expiry(token: str) -> float | None:
    """The `exp` of a JWT access token (seconds since the epoch); None for opaque tokens."""
    parsed = parse_jws(token)
    exp = parsed.claims.get("exp") if parsed is not None else None
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        return float(exp)
    return None


def narrow_scopes(run: Run) -> tuple[str, ...]:
    """The scopes of `[login].narrow_token`: `[scopes].narrow`, else its JWT `scope` claim."""
    if run.config.narrow_scopes:
        return tuple(run.config.narrow_scopes)
    token = run.config.login.narrow_token
    scope = token_set(token).scope if token else None
    return tuple((scope or "").split())


def _lapsed(tokens: TokenSet, min_remaining_s: float) -> bool:
    expires_at = tokens.expires_at
    return expires_at is not None and time.monotonic() >= expires_at - min_remaining_s


class Wallet:
    """The run's main static credential; a refresh replaces it (and a rotated refresh token).

    One per run (the engine memoises it); refreshes are serialised, so a rotating authorization
    server never sees the same refresh token twice from the harness.
    """

    def __init__(
        self,
        *,
        discovery: Discovery,
        client: ClientCredentials | None,
        token_endpoint: str | None,
        tokens: TokenSet,
    ) -> None:
        self.discovery = discovery
        self.client = client
        self.token_endpoint = token_endpoint
        self.tokens = tokens
        self._lock = asyncio.Lock()

    def cannot_refresh(self) -> str | None:
        """Why the main token cannot be refreshed, naming the key that enables it; else None."""
        if self.tokens.refresh_token is None:
            return "no [login].refresh_token is configured"
        if not self.token_endpoint:
            return (
                "no token endpoint: set [login].token_endpoint (none was discovered from "
                "protected resource metadata)"
            )
        if self.client is None:
            return "no client: set [client].client_id (and client_secret) to the refresh token's"
        return None

    async def refresh(self, run: Run, *, unless_replaced: TokenSet | None = None) -> TokenResponse:
        """Redeem the current refresh token; the wallet keeps the new tokens. `unless_replaced`:
        raise `_Replaced` instead when another probe has already replaced those tokens."""
        async with self._lock:
            current = self.tokens
            if unless_replaced is not None and current is not unless_replaced:
                raise _Replaced
            refresh_token, client, endpoint = (
                current.refresh_token,
                self.client,
                self.token_endpoint,
            )
            if refresh_token is None or client is None or not endpoint:
                reason = self.cannot_refresh()
                raise NotApplicable(f"the static token cannot be refreshed: {reason}")
            response = await refresh(
                run.http,
                endpoint,
                client=client,
                refresh_token=refresh_token,
                resource=self.discovery.resource,
            )
            new = response.tokens
            if new is not None:
                kept = new.refresh_token or current.refresh_token  # not rotated: still valid
                self.tokens = dataclasses.replace(new, refresh_token=kept)
            return response

    async def live(self, run: Run, *, min_remaining_s: float) -> TokenSet:
        """The current tokens, refreshed first when fewer than `min_remaining_s` are left and a
        refresh is possible; `NotApplicable` when they have lapsed and cannot be refreshed."""
        seen = self.tokens
        if not _lapsed(seen, min_remaining_s):
            return seen
        if self.cannot_refresh() is None:
            try:
                response = await self.refresh(run, unless_replaced=seen)
            except _Replaced:
                return self.tokens
            if response.tokens is None:
                raise NotApplicable(
                    f"the static token ran out and its refresh was refused ({response.error}); "
                    "supply a fresh [login].access_token and [login].refresh_token"
                )
            return self.tokens
        if _lapsed(seen, 0.0):
            raise NotApplicable(
                "the configured [login].access_token has expired; supply a fresh one (and a "
                f"[login].refresh_token to keep a run going: {self.cannot_refresh()})"
            )
        return seen


class _Replaced(Exception):
    """Another probe refreshed the tokens first."""


async def probe_wallet(run: Run, _profile: str | None) -> Wallet:
    login = run.config.login
    if not is_static(run) or not login.access_token:
        raise NotApplicable("static credentials need [login].mode = static and access_token")
    discovery = await obtain_discovery(run)  # works without PRM: only the resource is needed
    endpoints = discovery.endpoints
    discovered = endpoints.token_endpoint if endpoints is not None else None
    wallet = Wallet(
        discovery=discovery,
        client=configured_client(run),
        token_endpoint=login.token_endpoint or discovered,
        tokens=token_set(login.access_token, refresh_token=login.refresh_token),
    )
    await wallet.live(run, min_remaining_s=0.0)  # an expired token is refreshed at once
    return wallet


async def wallet(run: Run) -> Wallet:
    return await run.need(Wallet)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtraToken:
    """A configured token other than the main one, and what it stands for."""

    tokens: TokenSet
    resource: str
    scope: str | None


def extra_token(
    run: Run,
    main: Wallet,
    *,
    purpose: str,
    scope: str | None,
    resource: str | None,
    second_user: bool,
) -> ExtraToken:
    """The configured token a probe asks for (a second user's, another resource's, a narrow
    one), or `NotApplicable` naming the key that would supply it."""
    login = run.config.login
    own = main.discovery.resource
    if second_user:
        user = login.second_user
        token = user.access_token if user is not None else None
        if not token:
            raise NotApplicable(
                f"needs a token of a second user: {NO_FLOW}; set [login.second_user].access_token"
            )
        return ExtraToken(tokens=token_set(token), resource=own, scope=scope)
    if resource is not None and resource != own:
        if resource != run.config.other_resource or not login.other_resource_token:
            raise NotApplicable(
                f"needs a token issued for {resource}: {NO_FLOW}; set "
                "[login].other_resource_token to a token for [target].other_resource"
            )
        return ExtraToken(
            tokens=token_set(login.other_resource_token), resource=resource, scope=scope
        )
    if scope is not None:
        narrow = narrow_scopes(run)
        if not login.narrow_token:
            raise NotApplicable(
                f"needs a token for scope {scope!r}: {NO_FLOW}; set [login].narrow_token to a "
                "token carrying only [scopes].narrow"
            )
        if set(scope.split()) != set(narrow):
            held = " ".join(narrow) or "unknown scopes (set [scopes].narrow)"
            raise NotApplicable(
                f"needs a token for scope {scope!r}: {NO_FLOW}, and [login].narrow_token "
                f"carries {held}"
            )
        tokens = token_set(login.narrow_token, scope=" ".join(narrow) or None)
        return ExtraToken(tokens=tokens, resource=own, scope=scope)
    raise NotApplicable(f"needs a fresh token of its own ({purpose}): {NO_FLOW} to get one")


PROBES: dict[type, Probe] = {Wallet: probe_wallet}
