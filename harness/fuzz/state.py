"""Stateful fuzzing: a `RuleBasedStateMachine` over authorize / redeem / refresh / revoke / call,
with two clients (registered once and reused), and these invariants: a code works once; one
client's codes and refresh tokens never work for another; refresh never widens the scope; a
revoked token is dead; and, only where the authorization server was seen rotating refresh tokens,
a rotated-out refresh token is dead. A reuse accepted within `GRACE_S` of the rotation is
re-tried once the window has passed (at the end of the area) instead of failing inside it.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from harness.errors import TargetError
from harness.fuzz.areas import NotExercised, _navigate
from harness.fuzz.context import FuzzContext
from harness.fuzz.properties import PropertyFailed
from harness.http import Exchange
from harness.oauth.registration import ClientCredentials
from harness.oauth.tokens import TokenResponse, TokenSet, refresh, revoke
from harness.probes.authserver.flow import authorization_request, redeem
from harness.probes.authserver.records import AuthzRequest
from harness.probes.resource.target import McpProbe

GRACE_S = 2.0
_pick = st.integers(0, 7)


@dataclass(slots=True)
class _Code:
    client: int
    request: AuthzRequest
    code: str = field(repr=False)
    redeemed: bool = False
    exchanges: tuple[Exchange, ...] = ()  # the authorization that issued it (the chain's start)


@dataclass(slots=True)
class _Grant:
    client: int
    tokens: TokenSet = field(repr=False)
    revoked: bool = False
    rotated_out: list[tuple[str, float]] = field(default_factory=list, repr=False)


@dataclass(slots=True)
class Pending:
    """A rotated-out refresh token that still worked inside the grace window."""

    client: ClientCredentials
    token: str = field(repr=False)
    rotated_at: float
    exchanges: tuple[Exchange, ...]
    steps: tuple[dict[str, object], ...] = ()  # the rules that led here


def machine_for(
    ctx: FuzzContext,
    clients: list[ClientCredentials],
    pending: list[Pending],
    judged: Counter[str],
    start: Callable[[], None],
    seen: Callable[[PropertyFailed], None],
) -> type[RuleBasedStateMachine]:
    """The state machine class bound to this run (hypothesis instantiates it per example)."""

    class OAuthLifecycle(RuleBasedStateMachine):
        def __init__(self) -> None:
            start()
            super().__init__()
            self.codes: list[_Code] = []
            self.grants: list[_Grant] = []
            self.rotates = False  # the AS was seen issuing a new refresh token on refresh
            self.steps: list[dict[str, object]] = []  # the rules run so far, for the record

        def _step(self, name: str, **args: object) -> None:
            self.steps.append({"rule": name, "args": args})

        def _fail(self, prop: str, message: str, exchanges: tuple[Exchange, ...]) -> None:
            if ctx.judged(prop, "state"):
                failure = PropertyFailed(
                    prop, message, exchanges, kind="state", steps=tuple(self.steps)
                )
                seen(failure)
                raise failure

        def _call(self, work: object) -> TokenResponse:
            try:
                return ctx.call(work)  # type: ignore[arg-type]
            except TargetError as exc:
                raise NotExercised(str(exc)) from exc

        @rule(who=st.integers(0, 1))
        def authorize(self, who: int) -> None:
            self._step("authorize", who=who)
            client = clients[who % len(clients)]
            request = authorization_request(ctx.run, ctx.setup, client)
            navigation = ctx.call(_navigate(ctx, request))
            if navigation.code is not None:
                self.codes.append(
                    _Code(who % len(clients), request, navigation.code, False, navigation.exchanges)
                )

        @precondition(lambda self: self.codes)
        @rule(i=_pick)
        def redeem(self, i: int) -> None:
            self._step("redeem", i=i)
            code = self.codes[i % len(self.codes)]
            answer = self._call(
                redeem(ctx.run, ctx.setup, clients[code.client], code.request, code.code)
            )
            ok = answer.tokens is not None
            if code.redeemed:
                judged["code-once"] += 1
            if code.redeemed and ok:
                self._fail(
                    "code-once",
                    "a redeemed code was redeemed again",
                    (*code.exchanges, answer.response.exchange),
                )
            if ok and answer.tokens is not None:
                self.grants.append(_Grant(code.client, answer.tokens))
            code.redeemed = code.redeemed or ok

        @precondition(lambda self: self.codes and len(clients) > 1)
        @rule(i=_pick)
        def redeem_as_other_client(self, i: int) -> None:
            self._step("redeem_as_other_client", i=i)
            code = self.codes[i % len(self.codes)]
            other = clients[(code.client + 1) % len(clients)]
            answer = self._call(redeem(ctx.run, ctx.setup, other, code.request, code.code))
            judged["client-binding"] += 1
            if answer.tokens is not None:
                self._fail(
                    "client-binding",
                    "another client redeemed this client's code",
                    (*code.exchanges, answer.response.exchange),
                )

        def _refreshable(self) -> list[_Grant]:
            return [g for g in self.grants if g.tokens.refresh_token]

        @precondition(lambda self: self._refreshable())
        @rule(i=_pick, wider=st.booleans())
        def refresh(self, i: int, wider: bool) -> None:
            self._step("refresh", i=i, wider=wider)
            grants = self._refreshable()
            grant = grants[i % len(grants)]
            old = grant.tokens.refresh_token or ""
            granted = set((grant.tokens.scope or ctx.setup.scope or "").split())
            scope = " ".join([*sorted(granted), "x-fuzz-wider"]) if wider else None
            answer = self._call(
                refresh(
                    ctx.run.http,
                    ctx.setup.token_endpoint,
                    client=clients[grant.client],
                    refresh_token=old,
                    resource=ctx.setup.resource,
                    scope=scope,
                )
            )
            new = answer.tokens
            judged["scope-never-widens"] += wider  # a refused wider request held it too
            if new is None:
                return
            stated = set((new.scope or "").split())
            if granted and not stated <= granted:
                self._fail(
                    "scope-never-widens",
                    f"refresh granted {sorted(stated - granted)} beyond the original scope",
                    (answer.response.exchange,),
                )
            fresh = _Grant(grant.client, new)
            if new.refresh_token and new.refresh_token != old:
                self.rotates = True
                fresh.rotated_out.append((old, time.monotonic()))
            self.grants.append(fresh)

        @precondition(lambda self: self.rotates and any(g.rotated_out for g in self.grants))
        @rule(i=_pick)
        def reuse_rotated_refresh(self, i: int) -> None:
            self._step("reuse_rotated_refresh", i=i)
            grants = [g for g in self.grants if g.rotated_out]
            grant = grants[i % len(grants)]
            token, rotated_at = grant.rotated_out[0]
            client = clients[grant.client]
            answer = self._call(
                refresh(
                    ctx.run.http,
                    ctx.setup.token_endpoint,
                    client=client,
                    refresh_token=token,
                    resource=ctx.setup.resource,
                )
            )
            judged["refresh-rotation"] += 1
            if answer.tokens is None:
                return
            elapsed = time.monotonic() - rotated_at
            if elapsed > GRACE_S:
                self._fail(
                    "refresh-rotation",
                    f"a rotated-out refresh token worked {elapsed:.1f} s after rotation",
                    (answer.response.exchange,),
                )
            elif len(pending) < 8:
                pending.append(
                    Pending(
                        client=client,
                        token=token,
                        rotated_at=rotated_at,
                        exchanges=(answer.response.exchange,),
                        steps=tuple(self.steps),
                    )
                )

        @precondition(lambda self: self._refreshable() and len(clients) > 1)
        @rule(i=_pick)
        def refresh_as_other_client(self, i: int) -> None:
            self._step("refresh_as_other_client", i=i)
            grants = self._refreshable()
            grant = grants[i % len(grants)]
            other = clients[(grant.client + 1) % len(clients)]
            answer = self._call(
                refresh(
                    ctx.run.http,
                    ctx.setup.token_endpoint,
                    client=other,
                    refresh_token=grant.tokens.refresh_token or "",
                    resource=ctx.setup.resource,
                )
            )
            judged["client-binding"] += 1
            if answer.tokens is not None:
                self._fail(
                    "client-binding",
                    "another client used this client's refresh token",
                    (answer.response.exchange,),
                )

        @precondition(lambda self: bool(self.grants) and _can_revoke(ctx))
        @rule(i=_pick)
        def revoke(self, i: int) -> None:
            self._step("revoke", i=i)
            grant = self.grants[i % len(self.grants)]
            endpoints = ctx.setup.discovery.endpoints
            assert endpoints is not None
            assert endpoints.revocation_endpoint
            outcome = ctx.call(
                revoke(
                    ctx.run.http,
                    endpoints.revocation_endpoint,
                    client=clients[grant.client],
                    token=grant.tokens.access_token,
                    token_type_hint="access_token",  # noqa: S106 - a hint name
                )
            )
            grant.revoked = grant.revoked or outcome.ok
            if grant.revoked:  # judged at once, as well as by any later `call`
                self._judge_revoked(grant)

        def _judge_revoked(self, grant: _Grant) -> None:
            try:
                response = ctx.call(
                    McpProbe(ctx.run).send(authorization=grant.tokens.authorization)
                )
            except TargetError as exc:
                raise NotExercised(str(exc)) from exc
            judged["revoked-dead"] += 1
            if 200 <= response.status < 300:
                self._fail(
                    "revoked-dead",
                    f"a revoked access token got HTTP {response.status}",
                    (response.exchange,),
                )

        @precondition(lambda self: self.grants)
        @rule(i=_pick)
        def call(self, i: int) -> None:
            self._step("call", i=i)
            grant = self.grants[i % len(self.grants)]
            if grant.revoked:
                self._judge_revoked(grant)
                return
            try:
                ctx.call(McpProbe(ctx.run).send(authorization=grant.tokens.authorization))
            except TargetError as exc:
                raise NotExercised(str(exc)) from exc

    return OAuthLifecycle


def recheck(
    ctx: FuzzContext, pending: list[Pending], *, wait: bool = True
) -> PropertyFailed | None:
    """Re-try rotated-out refresh tokens that worked inside the grace window, once it passed;
    each is tried once (and dropped). `wait` waits out the rest of each window (no response can
    tell that a window ended), else only the tokens already past it are tried."""
    for item in list(pending):
        if not ctx.judged("refresh-rotation", "state"):
            return None
        due = item.rotated_at + GRACE_S + 0.05 - time.monotonic()
        if due > 0 and not wait:
            continue
        ctx.call(asyncio.sleep(max(0.0, due)))
        pending.remove(item)
        elapsed = time.monotonic() - item.rotated_at
        answer = ctx.call(
            refresh(
                ctx.run.http,
                ctx.setup.token_endpoint,
                client=item.client,
                refresh_token=item.token,
                resource=ctx.setup.resource,
            )
        )
        if answer.tokens is not None:
            return PropertyFailed(
                "refresh-rotation",
                f"a rotated-out refresh token still worked {elapsed:.1f} s after rotation",
                (*item.exchanges, answer.response.exchange),
                kind="state.refresh-reuse",
                steps=item.steps,
            )
    return None


def _can_revoke(ctx: FuzzContext) -> bool:
    endpoints = ctx.setup.discovery.endpoints
    return endpoints is not None and bool(endpoints.revocation_endpoint)
