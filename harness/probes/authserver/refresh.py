"""Refresh-token probes: the lifecycle of one public client's refresh token, and binding.

Lifecycle: refresh (the new access token is used at the MCP server), replay the rotated-out
token, then try the newer one (did the reuse revoke the family?). When the replay is accepted,
the probe replays it again at growing intervals, up to `[tokens].max_refresh_grace_s`, to tell a
grace window (a SHOULD-level weakness) from no reuse detection at all: that needs time to pass.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time

from harness.config import MAX_REFRESH_GRACE_S
from harness.engine import Probe, Run
from harness.oauth.registration import AuthMethod, ClientCredentials
from harness.oauth.tokens import TokenResponse, refresh
from harness.probes.authserver.evidence import (
    GracePoll,
    RefreshBinding,
    RefreshLifecycle,
    SecondClient,
)
from harness.probes.authserver.flow import (
    FlowSetup,
    authorization_request,
    full_flow,
    prepare,
    shared_client,
)
from harness.probes.authserver.records import FlowRun
from harness.probes.grant import OFFLINE_ACCESS, with_offline_access
from harness.probes.resource.target import McpProbe

FIRST_POLL_S = 0.5


async def _refresh(
    run: Run, setup: FlowSetup, client: ClientCredentials, token: str
) -> TokenResponse:
    return await refresh(
        run.http, setup.token_endpoint, client=client, refresh_token=token, resource=setup.resource
    )


async def refresh_grant(
    run: Run, setup: FlowSetup, client: ClientCredentials
) -> tuple[FlowRun, bool]:
    """The flow that should yield a refresh token, and whether it asked for offline_access
    (added when the AS lists it; dropped again if the AS refuses that scope for this client)."""
    scope = with_offline_access(setup.discovery, setup.scope)
    if scope is None:
        return await full_flow(run, setup, client), OFFLINE_ACCESS in (setup.scope or "").split()
    request = authorization_request(run, setup, client, scope=scope)
    flow = await full_flow(run, setup, client, request=request)
    response = flow.navigation.response
    refused = flow.token.error if flow.token is not None else response and response.error
    if not flow.ok and refused == "invalid_scope":
        return await full_flow(run, setup, client), False
    return flow, True


def _listed(setup: FlowSetup) -> bool:
    metadata = setup.discovery.as_metadata
    return metadata is not None and OFFLINE_ACCESS in (metadata.scopes_supported or ())


async def _grace(
    run: Run, setup: FlowSetup, client: ClientCredentials, token: str, rotated_at: float
) -> tuple[GracePoll, ...]:
    """Replay `token` at growing intervals until it is refused or the limit is reached."""
    limit = min(run.config.tokens.max_refresh_grace_s, MAX_REFRESH_GRACE_S)
    polls: list[GracePoll] = []
    wait = FIRST_POLL_S
    while True:
        due = min(wait, limit)
        # A grace window can only be measured by letting time pass: nothing else to wait on.
        await asyncio.sleep(max(0.0, rotated_at + due - time.monotonic()))
        replay = await _refresh(run, setup, client, token)
        poll = GracePoll(after_s=round(time.monotonic() - rotated_at, 2), token=replay)
        polls.append(poll)
        if not poll.accepted or due >= limit:
            return tuple(polls)
        wait *= 2


async def probe_refresh(run: Run, _profile: str | None) -> RefreshLifecycle:
    setup = await prepare(run)
    client = await shared_client(run)
    public = client.token_endpoint_auth_method == AuthMethod.NONE
    grant, offline = await refresh_grant(run, setup, client)
    tokens = grant.token.tokens if grant.token is not None else None
    empty = RefreshLifecycle(
        public_client=public,
        grant=grant,
        first=None,
        new_token_at_resource=None,
        replay=None,
        grace=(),
        grace_limit_s=run.config.tokens.max_refresh_grace_s,
        newer_after_replay=None,
        offline_access_listed=_listed(setup),
        offline_access_requested=offline,
    )
    if tokens is None or tokens.refresh_token is None:
        return empty
    original = tokens.refresh_token
    first = await _refresh(run, setup, client, original)
    rotated_at = time.monotonic()
    if first.tokens is None:
        return dataclasses.replace(empty, first=first)
    new_token = first.tokens.access_token
    # used before the replay: reuse detection may rightly revoke the whole family
    at_resource = await McpProbe(run).attempt(
        "the refreshed access token", authorization=f"Bearer {new_token}"
    )
    replay = await _refresh(run, setup, client, original)
    grace: tuple[GracePoll, ...] = ()
    if replay.tokens is not None and first.tokens.refresh_token not in {None, original}:
        grace = await _grace(run, setup, client, original, rotated_at)
    newer = first.tokens.refresh_token
    newer_after = None
    if newer is not None and newer != original:
        newer_after = await _refresh(run, setup, client, newer)
    return dataclasses.replace(
        empty,
        first=first,
        new_token_at_resource=at_resource,
        replay=replay,
        grace=grace,
        newer_after_replay=newer_after,
    )


async def probe_refresh_binding(run: Run, _profile: str | None) -> RefreshBinding:
    setup = await prepare(run)
    client = await shared_client(run)
    second, (grant, _) = await asyncio.gather(
        run.need(SecondClient), refresh_grant(run, setup, client)
    )
    tokens = grant.token.tokens if grant.token is not None else None
    theft = owner_after = None
    if second.client is not None and tokens is not None and tokens.refresh_token:
        theft = await _refresh(run, setup, second.client, tokens.refresh_token)
        owner_after = await _refresh(run, setup, client, tokens.refresh_token)
    return RefreshBinding(grant=grant, second=second, theft=theft, owner_after=owner_after)


PROBES: dict[type, Probe] = {
    RefreshLifecycle: probe_refresh,
    RefreshBinding: probe_refresh_binding,
}
