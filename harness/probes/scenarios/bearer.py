"""Scenarios about the bearer after OAuth: a request without it, and its expiry mid-run."""

from __future__ import annotations

import asyncio
import time

from harness.engine import Probe, Run
from harness.errors import NotApplicable
from harness.http import Response
from harness.oauth.tokens import revoke
from harness.oauth.wwwauth import find_bearer, parse_www_authenticate
from harness.probes.scenarios.base import fresh_connection, profile_client
from harness.probes.scenarios.journey import (
    ExpiryJourney,
    MissingBearerJourney,
    Phase,
    Step,
    Violation,
)
from harness.probes.scenarios.refresh import refresh_after_expiry
from harness.profiles import clauses
from harness.profiles.connect import ProfileClient
from harness.profiles.connection import Connection
from harness.profiles.diagnose import DEGRADED, MCP_AUTH, refused
from harness.profiles.use import open_session

RFC6750_401 = "https://www.rfc-editor.org/rfc/rfc6750#section-3.1"


async def probe_missing_bearer(run: Run, profile: str | None) -> MissingBearerJourney:
    client = await profile_client(run, profile)
    async with client.busy():
        connection = await fresh_connection(client)
        mcp, steps = await open_session(client, connection, connection.tokens)
        if any(s.outcome == "failed" for s in steps):
            raise NotApplicable("the session could not be opened with the token; see happy-path")
        reply = await mcp.list_tools(None)
    steps.append(_judge_missing(client, reply.response))
    return MissingBearerJourney(profile=client.profile.name, steps=tuple(steps))


def _judge_missing(client: ProfileClient, response: Response) -> Step:
    name = "the next request without the bearer"
    exchanges = (response.exchange,)
    status = response.status
    challenge = find_bearer(parse_www_authenticate(response.header_all("www-authenticate")))
    if status == 401 and challenge is not None and challenge.param("resource_metadata"):
        return Step(
            name=name, outcome="ok", detail="401 with a usable challenge", exchanges=exchanges
        )
    if 200 <= status < 300:
        return Step(
            name=name,
            outcome="failed",
            detail=f"served without a token ({response.summary()})",
            exchanges=exchanges,
            violation=Violation(
                text=f"a request without a token was served ({response.summary()}) after OAuth",
                must=clauses.TOKEN_VALIDATED,
            ),
        )
    if status == 401 and challenge is not None:
        what = "401 whose challenge has no resource_metadata"
    elif status == 401:
        what = "401 without a WWW-Authenticate: Bearer challenge"
    else:
        what = f"{response.summary()} instead of 401"
    text = (
        f"a request that lost its bearer gets {what}; the client cannot tell that it must "
        "re-authorize, nor where"
    )
    return Step(
        name=name,
        outcome="failed",
        detail=text,
        exchanges=exchanges,
        violation=(
            Violation(text=text, must=clauses.CHALLENGE)
            if status != 401 or challenge is None
            else None
        ),
        impact=refused(
            Phase.CALL,
            text,
            profile=client.profile,
            verdict=DEGRADED,
            sources=(RFC6750_401, MCP_AUTH),
            remediation="answer every request without a token with 401 and WWW-Authenticate: "
            'Bearer resource_metadata="…"',
        ),
    )


async def probe_expiry(run: Run, profile: str | None) -> ExpiryJourney:
    client = await profile_client(run, profile)
    async with client.busy():
        connection = await fresh_connection(client)
        mcp, steps = await open_session(client, connection, connection.tokens)
        if any(s.outcome == "failed" for s in steps):
            raise NotApplicable("the session could not be opened with the token; see happy-path")
    steps.append(await _expire(run, client, connection))
    async with client.busy():
        steps += await refresh_after_expiry(client, connection, mcp)
    return ExpiryJourney(profile=client.profile.name, steps=tuple(steps))


async def _expire(run: Run, client: ProfileClient, connection: Connection) -> Step:
    """Let the access token expire (short lifetimes), else revoke it, else skip."""
    tokens = connection.tokens
    assert tokens is not None
    hints = run.config.tokens
    lifetime = tokens.expires_in
    if lifetime is not None:
        wait = lifetime + hints.expiry_leeway_s - (time.monotonic() - tokens.obtained_at)
        if wait <= hints.max_expiry_wait_s:
            # Expiry can only be observed by letting time pass: nothing else to wait on.
            await asyncio.sleep(max(wait, 0.0))
            return Step(name=f"access token expired (expires_in={lifetime})", outcome="ok")
    endpoint = connection.discovery.endpoints if connection.discovery else None
    revocation = endpoint.revocation_endpoint if endpoint else None
    if revocation and connection.client is not None:
        revoked = await revoke(
            client.http,
            revocation,
            client=connection.client,
            token=tokens.access_token,
            token_type_hint="access_token",  # noqa: S106 - a hint name
        )
        if revoked.ok:
            return Step(
                name="access token revoked (stands in for its expiry)",
                outcome="ok",
                exchanges=(revoked.response.exchange,),
            )
    raise NotApplicable(
        f"access tokens live {lifetime} s, longer than [tokens].max_expiry_wait_s="
        f"{hints.max_expiry_wait_s:g}, and cannot be revoked; raise the wait to run this scenario"
    )


PROBES: dict[type, Probe] = {
    MissingBearerJourney: probe_missing_bearer,
    ExpiryJourney: probe_expiry,
}
