"""The happy path of each profile: connect, call, refresh the way the client does, call again."""

from __future__ import annotations

from harness.engine import Probe, Run
from harness.probes.scenarios.base import profile_client
from harness.probes.scenarios.journey import Journey, Phase, Step
from harness.profiles.connect import ProfileClient
from harness.profiles.connection import Connection
from harness.profiles.diagnose import DEGRADED, refused
from harness.profiles.model import RefreshMode
from harness.profiles.use import call, open_session, refresh_grant, stale


async def probe_happy_path(run: Run, profile: str | None) -> Journey:
    client = await profile_client(run, profile)
    async with client.busy():  # the token is used at once, while it is fresh
        connection = await run.need(Connection, profile)
        if connection.ok and stale(connection.tokens):
            connection = await client.connect()  # the shared token aged while waiting
        return await _happy_path(client, connection)


async def _happy_path(client: ProfileClient, connection: Connection) -> Journey:
    steps = list(connection.steps)
    name = client.profile.name
    if not connection.ok or connection.tokens is None:
        return Journey(profile=name, steps=tuple(steps))
    mcp, opened = await open_session(client, connection, connection.tokens)
    steps += opened
    if any(s.outcome == "failed" for s in opened):
        return Journey(profile=name, steps=tuple(steps))
    steps.append(await call(client, connection, mcp, connection.tokens))
    if client.profile.refresh.mode.value is RefreshMode.NEVER:
        steps.append(Step(name="refresh", outcome="skipped", detail="this client never refreshes"))
        return Journey(profile=name, steps=tuple(steps))
    refresh_token = connection.tokens.refresh_token
    if not refresh_token:
        steps.append(Step(name="refresh", outcome="skipped", detail="no refresh token was issued"))
        return Journey(profile=name, steps=tuple(steps))
    refreshed = await refresh_grant(client, connection, refresh_token)
    exchanges = (refreshed.response.exchange,)
    if refreshed.tokens is None:
        text = f"the refresh grant was refused: {refreshed.error}"
        found = refused(Phase.REFRESH, text, profile=client.profile, verdict=DEGRADED)
        steps.append(
            Step(name="refresh", outcome="failed", detail=text, exchanges=exchanges, impact=found)
        )
        return Journey(profile=name, steps=tuple(steps))
    steps.append(Step(name="refresh", outcome="ok", exchanges=exchanges))
    steps.append(
        await call(client, connection, mcp, refreshed.tokens, "call again (refreshed token)")
    )
    return Journey(profile=name, steps=tuple(steps))


PROBES: dict[type, Probe] = {Journey: probe_happy_path}
