"""Scenarios about token lifetime: clients that never refresh, unattended runs, and the refresh
that follows an expiry (shared with `scenario.expiry-mid-run`)."""

from __future__ import annotations

from harness.engine import Probe, Run
from harness.errors import NotApplicable
from harness.mcp.client import McpClient
from harness.oauth.tokens import TokenResponse
from harness.probes.scenarios.base import fresh_connection, profile_client
from harness.probes.scenarios.journey import (
    Phase,
    RefreshNeverJourney,
    Step,
    UnattendedJourney,
    Violation,
)
from harness.profiles import clauses, diagnose
from harness.profiles.connect import ProfileClient
from harness.profiles.connection import Connection
from harness.profiles.diagnose import DEGRADED, refused
from harness.profiles.model import On401Recovery, RefreshMode, Unattended
from harness.profiles.use import (
    bearer,
    call,
    open_session,
    recover_from_401,
    refresh_grant,
    remaining,
)

WEEK_S = 7 * 86400


async def refresh_after_expiry(
    client: ProfileClient, connection: Connection, mcp: McpClient
) -> list[Step]:
    """What the profile does once its access token has expired (`mcp` is its open session)."""
    profile = client.profile
    tokens = connection.tokens
    assert tokens is not None
    steps: list[Step] = []
    mode = profile.refresh.mode.value
    # proactive: by expires_in, so only for a token that expired (a revoked one gets its 401)
    left = remaining(tokens)
    if mode is RefreshMode.PROACTIVE and left is not None and left <= 0:
        steps.append(Step(name="refresh before sending (expires_in has passed)", outcome="ok"))
    else:
        reply = await mcp.list_tools(bearer(profile, tokens))
        status = reply.response.status
        exchanges = (reply.response.exchange,)
        if 200 <= status < 300:
            text = f"the expired access token was still accepted ({reply.response.summary()})"
            steps.append(
                Step(
                    name="request with the expired token",
                    outcome="failed",
                    detail=text,
                    exchanges=exchanges,
                    violation=Violation(text=text, must=clauses.TOKEN_VALIDATED),
                )
            )
            return steps
        if status != 401:
            text = (
                f"the expired token got {reply.response.summary()} instead of 401; a client "
                "that refreshes on 401 never refreshes"
            )
            found = refused(Phase.REFRESH, text, profile=profile, verdict=DEGRADED)
            steps.append(
                Step(
                    name="request with the expired token",
                    outcome="failed",
                    detail=text,
                    exchanges=exchanges,
                    impact=found,
                )
            )
            return steps
        steps.append(Step(name="401 for the expired token", outcome="ok", exchanges=exchanges))
        if profile.refresh.on_401.value is On401Recovery.REAUTHORIZE:
            return steps + await _login_again(client, connection, mcp)
    if mode is RefreshMode.NEVER:  # the server did its part; the client makes users reconnect
        found = diagnose.never_refreshes(profile, tokens.expires_in)
        steps.append(Step(name="refresh", outcome="failed", detail=found.reason.text, impact=found))
        return steps
    refreshed = await _refresh(client, connection, tokens.refresh_token, steps, Phase.REFRESH)
    if refreshed is None:
        return steps
    again = refreshed.tokens
    step = await call(client, connection, mcp, again, "call with the refreshed token")
    if step.outcome == "failed":
        mcp, opened = await open_session(client, connection, again)
        step = opened[-1]
    steps.append(step)
    if mode is RefreshMode.ONCE_THEN_STALE and refreshed.tokens is not None:
        steps.append(await _stale(client, connection, tokens.refresh_token, refreshed))
    return steps


async def _login_again(client: ProfileClient, connection: Connection, mcp: McpClient) -> list[Step]:
    """A client that answers the 401 with a new login (`refresh.on_401`), then calls again."""
    recovery = await recover_from_401(client, connection)
    steps = list(recovery.steps)
    if recovery.tokens is None:
        return steps
    again = recovery.connection
    step = await call(client, again, mcp, recovery.tokens, "call after the new login")
    if step.outcome == "failed":
        _, opened = await open_session(client, again, recovery.tokens)
        step = opened[-1]
    return [*steps, step]


async def _refresh(
    client: ProfileClient,
    connection: Connection,
    refresh_token: str | None,
    steps: list[Step],
    phase: Phase,
    label: str = "refresh",
) -> TokenResponse | None:
    profile = client.profile
    lifetime = connection.tokens.expires_in if connection.tokens else None
    if not refresh_token:
        found = diagnose.no_refresh_token(profile, lifetime, phase)
        steps.append(Step(name=label, outcome="failed", detail=found.reason.text, impact=found))
        return None
    refreshed = await refresh_grant(client, connection, refresh_token)
    exchanges = (refreshed.response.exchange,)
    if refreshed.tokens is None:
        found = diagnose.refresh_refused(profile, phase, refreshed.error)
        text = found.reason.text
        steps.append(
            Step(name=label, outcome="failed", detail=text, exchanges=exchanges, impact=found)
        )
        return None
    steps.append(Step(name=label, outcome="ok", exchanges=exchanges))
    return refreshed


async def _stale(
    client: ProfileClient, connection: Connection, old: str | None, refreshed: TokenResponse
) -> Step:
    """This client presents the refresh token it was given first, once more."""
    name = "later: the first refresh token again"
    rotated = refreshed.tokens is not None and refreshed.tokens.refresh_token not in {None, old}
    if not old or not rotated:
        return Step(name=name, outcome="skipped", detail="the refresh token was not rotated")
    again = await refresh_grant(client, connection, old)
    exchanges = (again.response.exchange,)
    if again.tokens is not None:
        return Step(name=name, outcome="ok", detail="accepted (grace period)", exchanges=exchanges)
    found = diagnose.stale_refresh_token(client.profile, again.error or "refused")
    return Step(
        name=name, outcome="failed", detail=found.reason.text, exchanges=exchanges, impact=found
    )


async def probe_refresh_never(run: Run, profile: str | None) -> RefreshNeverJourney:
    client = await profile_client(run, profile)
    name = client.profile.name
    if client.profile.refresh.mode.value is not RefreshMode.NEVER:
        # nothing of the server is exercised here: never a pass
        raise NotApplicable(f"{name} refreshes its tokens (see scenario.expiry-mid-run)")
    connection = await run.need(Connection, profile)
    if not connection.ok or connection.tokens is None:
        raise NotApplicable(f"no token was obtained ({connection.why_not()})")
    lifetime = connection.tokens.expires_in
    if lifetime is None:
        raise NotApplicable("the token response has no expires_in: the lifetime is unknown")
    exchanges = connection.exchanges[-1:]
    if lifetime >= WEEK_S:
        detail = f"access tokens live {diagnose.human_duration(lifetime)}: reconnects are rare"
        step = Step(name="access token lifetime", outcome="ok", detail=detail, exchanges=exchanges)
    else:
        found = diagnose.never_refreshes(client.profile, lifetime)
        step = Step(
            name="access token lifetime",
            outcome="failed",
            detail=found.reason.text,
            exchanges=exchanges,
            impact=found,
        )
    return RefreshNeverJourney(profile=name, steps=(step,))


async def probe_unattended(run: Run, profile: str | None) -> UnattendedJourney:
    client = await profile_client(run, profile)
    knobs = client.profile.refresh
    if knobs.unattended.value is Unattended.UNSUPPORTED:
        # Nothing reaches the server, so nothing of it is judged: a compatibility consequence
        # of a documented client bug (warn, attribution client), never a pass.
        found = refused(
            Phase.LONG_RUN,
            "this client's scheduled runs never reach the server: scheduled tasks need a user",
            profile=client.profile,
            knobs=("refresh.unattended",),
            verdict=DEGRADED,
            remediation="nothing server-side: the client must be fixed",
        )
        step = Step(name="scheduled run", outcome="skipped", detail=found.reason.text, impact=found)
        return UnattendedJourney(profile=client.profile.name, steps=(step,))
    if knobs.mode.value is RefreshMode.NEVER:
        raise NotApplicable("this client never uses refresh tokens: every run needs a user")
    async with client.busy():
        return await _unattended(client, await fresh_connection(client))


async def _unattended(client: ProfileClient, connection: Connection) -> UnattendedJourney:
    knobs = client.profile.refresh
    assert connection.tokens is not None
    steps: list[Step] = []
    stale = knobs.mode.value is RefreshMode.ONCE_THEN_STALE
    token = connection.tokens.refresh_token
    previous: TokenResponse | None = None
    for run_number in (1, 2):
        if stale and previous is not None:
            step = await _stale(client, connection, token, previous)
            steps.append(step)
            if step.outcome == "failed":
                break
            continue
        refreshed = await _refresh(
            client, connection, token, steps, Phase.LONG_RUN, f"run {run_number}: refresh"
        )
        if refreshed is None or refreshed.tokens is None:
            break
        mcp, opened = await open_session(client, connection, refreshed.tokens)
        steps += opened
        if any(s.outcome == "failed" for s in opened):
            break
        label = f"run {run_number}: call"
        steps.append(await call(client, connection, mcp, refreshed.tokens, label))
        previous = refreshed
        if not stale:
            token = refreshed.tokens.refresh_token or token
    return UnattendedJourney(profile=client.profile.name, steps=tuple(steps))


PROBES: dict[type, Probe] = {
    RefreshNeverJourney: probe_refresh_never,
    UnattendedJourney: probe_unattended,
}
