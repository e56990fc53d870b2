"""Audience probe (RFC 8707): a token requested for the MCP resource is used there, and so is one
requested for another resource, which must not work (or must not be issued at all).

The other resource is `[target].other_resource` when configured (another MCP server of the same
authorization server), else a made-up resource on a host that does not exist.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import secrets

from harness.engine import Probe, Run
from harness.probes.authserver.evidence import AudienceProbes
from harness.probes.authserver.flow import authorization_request, full_flow, prepare, shared_client
from harness.probes.authserver.records import FlowRun
from harness.probes.resource.evidence import Attempt
from harness.probes.resource.target import McpProbe


def jwt_audience(token: str) -> tuple[str, ...] | None:
    """The `aud` claim of a JWT, read without verification; None for anything else."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    aud = claims.get("aud") if isinstance(claims, dict) else None
    if isinstance(aud, str):
        return (aud,)
    if isinstance(aud, list):
        return tuple(a for a in aud if isinstance(a, str))
    return None


async def _used(mcp: McpProbe, flow: FlowRun, label: str) -> Attempt | None:
    tokens = flow.token.tokens if flow.token is not None else None
    if tokens is None:
        return None
    return await mcp.attempt(label, authorization=f"Bearer {tokens.access_token}")


async def probe_audience(run: Run, _profile: str | None) -> AudienceProbes:
    setup = await prepare(run)
    client = await shared_client(run)
    if run.config.other_resource:
        other, source = run.config.other_resource, "[target].other_resource"
    else:
        other = f"https://other-resource-{secrets.token_hex(4)}.invalid/mcp"
        source = "a made-up resource on another host"
    foreign_request = dataclasses.replace(authorization_request(run, setup, client), resource=other)
    own, foreign = await asyncio.gather(
        full_flow(run, setup, client),
        full_flow(run, setup, client, request=foreign_request),
    )
    mcp = McpProbe(run)
    own_at, foreign_at = await asyncio.gather(
        _used(mcp, own, "a token requested for this resource"),
        _used(mcp, foreign, f"a token requested for {other}"),
    )
    foreign_tokens = foreign.token.tokens if foreign.token is not None else None
    return AudienceProbes(
        resource=setup.resource,
        other=other,
        other_source=source,
        own=own,
        own_at_resource=own_at,
        foreign=foreign,
        foreign_at_resource=foreign_at,
        foreign_audience=jwt_audience(foreign_tokens.access_token) if foreign_tokens else None,
    )


PROBES: dict[type, Probe] = {AudienceProbes: probe_audience}
