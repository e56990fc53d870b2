"""`scenario.step-up`: a token without the scope a tool needs, the 403, and the client's answer.

The tool is a configured `[[tools]]` entry whose `requires` the first token lacks (called once,
refused; after the step-up only the new token's scopes are checked, since the tool may have
effects); else a read-only tool (the configured safe tool, or one the server annotates
`readOnlyHint`) called with a first token narrowed to another advertised scope, then again with
the stepped-up token. The harness never guesses a tool with effects.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.engine import Probe, Run
from harness.errors import NotApplicable
from harness.mcp.client import McpReply
from harness.oauth.wwwauth import find_bearer, parse_www_authenticate
from harness.probes.scenarios.base import profile_client
from harness.probes.scenarios.journey import Phase, Step, StepUpJourney, Violation
from harness.profiles import clauses
from harness.profiles.connect import ProfileClient
from harness.profiles.connection import Connection
from harness.profiles.diagnose import DEGRADED, MCP_AUTH, refused
from harness.profiles.knobs import union_scope
from harness.profiles.model import ProfileKind, StepUpMode
from harness.profiles.use import (
    bearer,
    open_session,
    refresh_grant,
    safe_tool,
    stale,
    tools_of,
)
from harness.results import Attribution

MCP_STEP_UP = MCP_AUTH + "#scope-challenge-handling"


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    tool: str
    arguments: dict[str, object]
    requires: tuple[str, ...]
    first_scope: str | None  # None: the profile chooses


async def probe_step_up(run: Run, profile: str | None) -> StepUpJourney:
    client = await profile_client(run, profile)
    target = await _target(client, await run.need(Connection, profile))
    async with client.busy():
        return await _step_up(client, target)


async def _step_up(client: ProfileClient, target: Target) -> StepUpJourney:
    connection = await client.connect(scope=target.first_scope)
    if not connection.ok or connection.tokens is None:
        raise NotApplicable(f"no token was obtained ({connection.why_not()}); see happy-path")
    granted = set((connection.tokens.scope or connection.scope or "").split())
    if target.requires and set(target.requires) <= granted:
        raise NotApplicable(f"the first token already carries {' '.join(target.requires)}")
    authorization = bearer(client.profile, connection.tokens)
    mcp, steps = await open_session(client, connection, connection.tokens)
    if any(s.outcome == "failed" for s in steps):
        raise NotApplicable("the session could not be opened with the token; see happy-path")
    reply = await mcp.call_tool(target.tool, target.arguments, authorization)
    challenged = _challenged(reply)
    first = _judge_challenge(client, target, reply, challenged)
    steps.append(first)
    if first.outcome != "ok" or challenged is None:
        return StepUpJourney(profile=client.profile.name, steps=tuple(steps))
    steps += await _react(client, connection, target, challenged)
    return StepUpJourney(profile=client.profile.name, steps=tuple(steps))


async def _target(client: ProfileClient, connection: Connection) -> Target:
    for configured in client.config.tools:
        if configured.requires:
            return Target(
                tool=configured.name,
                arguments=dict(configured.arguments),
                requires=configured.requires,
                first_scope=None,
            )
    if not connection.ok or connection.discovery is None or connection.tokens is None:
        raise NotApplicable(f"no token was obtained ({connection.why_not()}); see happy-path")
    tool = safe_tool(client, None) if client.config.safe_tool else None
    if tool is None:
        async with client.busy():
            if stale(connection.tokens):
                connection = await client.connect()
            mcp, opened = await open_session(client, connection, connection.tokens)
            if all(step.outcome == "ok" for step in opened):
                authorization = bearer(client.profile, connection.tokens)
                tool = safe_tool(client, tools_of(await mcp.list_tools(authorization)))
    found = connection.discovery
    if found is None:
        raise NotApplicable(f"discovery failed ({connection.why_not()}); see happy-path")
    from_prm = found.prm.scopes_supported if found.prm else None
    from_as = found.as_metadata.scopes_supported if found.as_metadata else None
    advertised = list(from_prm or from_as or ())
    challenged = set(found.challenged_scope or ())
    narrower = [s for s in advertised if s not in challenged and s != "offline_access"]
    if tool is None or not challenged or not narrower:
        raise NotApplicable(
            "no tool to step up with: configure a [[tools]] entry whose requires= the first "
            "token lacks (or a read-only tool the server annotates, with several scopes)"
        )
    return Target(
        tool=tool.name, arguments=dict(tool.arguments), requires=(), first_scope=narrower[0]
    )


def _challenged(reply: McpReply) -> str | None:
    challenge = find_bearer(parse_www_authenticate(reply.response.header_all("www-authenticate")))
    if challenge is None or challenge.param("error") != "insufficient_scope":
        return None
    return challenge.param("scope")


def _judge_challenge(
    client: ProfileClient, target: Target, reply: McpReply, challenged: str | None
) -> Step:
    name = f"tools/call {target.tool} without its scope"
    exchanges = (reply.response.exchange,)
    status = reply.response.status
    if status == 403 and challenged:
        return Step(
            name=name,
            outcome="ok",
            detail=f"403 insufficient_scope scope={challenged}",
            exchanges=exchanges,
        )
    if 200 <= status < 300 and (reply.reply is None or reply.reply.error is None):
        if not target.requires:
            raise NotApplicable(f"{target.tool} works with the narrower scope too: no step-up")
        text = f"{target.tool} ran although the token lacks {' '.join(target.requires)}"
        broken = Violation(text=text, must=clauses.SCOPE_ENFORCED)
        return Step(name=name, outcome="failed", detail=text, exchanges=exchanges, violation=broken)
    text = (
        f"a call that needs more scope got {reply.response.summary()} instead of 403 "
        "insufficient_scope naming the scope; clients cannot step up"
    )
    return Step(
        name=name,
        outcome="failed",
        detail=text,
        exchanges=exchanges,
        impact=refused(
            Phase.STEP_UP,
            text,
            profile=client.profile,
            verdict=DEGRADED,
            sources=(MCP_STEP_UP,),
            remediation='answer 403 with WWW-Authenticate: Bearer error="insufficient_scope", '
            'scope="<needed scopes>", resource_metadata="…"',
        ),
    )


async def _react(
    client: ProfileClient, connection: Connection, target: Target, challenged: str
) -> list[Step]:
    profile = client.profile
    mode = profile.step_up.mode.value
    synthetic = target.first_scope is not None
    if synthetic and mode in {StepUpMode.NONE, StepUpMode.REFRESH_OLD_SCOPE}:
        # The first token was narrowed on purpose: this client would not meet this 403 with
        # its own scope choice, so its failure to step up is a caveat, not an impact.
        detail = (
            f"this client does not step up ({mode.value}); a tool that needs a scope beyond "
            "its first token would stay unusable for its users"
        )
        return [Step(name="step-up", outcome="skipped", detail=detail)]
    if mode is StepUpMode.NONE:
        text = f"this client does not step up: {target.tool} stays unusable for its users"
        # a spec profile without step-up follows a revision before it (2025-11-25, SEP-835)
        older = profile.kind is ProfileKind.SPEC
        found = refused(
            Phase.STEP_UP,
            text,
            profile=profile,
            knobs=("step_up.mode",),
            attribution=Attribution.REVISION if older else None,
            verdict=DEGRADED,
            remediation="request every scope the client's tools need up front: name them in "
            "the 401 challenge's scope (or scopes_supported)",
        )
        return [Step(name="step-up", outcome="failed", detail=text, impact=found)]
    if mode is StepUpMode.REFRESH_OLD_SCOPE:
        return await _refresh_loop(client, connection, target)
    previous = connection.scope
    scope = (
        union_scope(previous, challenged) if mode is StepUpMode.REAUTHORIZE_UNION else challenged
    )
    again = await client.connect(scope=scope, reuse=connection)
    if not again.ok or again.tokens is None:
        failure = again.failure
        text = f"the step-up authorization failed ({again.why_not()})"
        attribution_from = failure.impact if failure is not None else None
        found = refused(Phase.STEP_UP, text, profile=profile, verdict=DEGRADED)
        if attribution_from is not None:
            found = refused(
                Phase.STEP_UP,
                text,
                profile=profile,
                verdict=DEGRADED,
                sources=attribution_from.reason.sources,
                remediation=attribution_from.remediation,
            )
        return [Step(name="step-up authorization", outcome="failed", detail=text, impact=found)]
    if target.requires:
        return [_granted(client, again, target, scope)]
    authorization = bearer(profile, again.tokens)
    mcp, opened = await open_session(client, again, again.tokens)
    reply = await mcp.call_tool(target.tool, target.arguments, authorization)
    ok = reply.response.status == 200 and reply.reply is not None and reply.reply.error is None
    steps = [Step(name=f"step-up authorization (scope={scope})", outcome="ok"), *opened]
    if ok:
        steps.append(
            Step(
                name=f"tools/call {target.tool} after step-up",
                outcome="ok",
                exchanges=(reply.response.exchange,),
            )
        )
        return steps
    text = f"even with scope {scope!r} the call failed ({reply.response.summary()})"
    found = refused(Phase.STEP_UP, text, profile=profile, verdict=DEGRADED)
    steps.append(
        Step(
            name=f"tools/call {target.tool} after step-up",
            outcome="failed",
            detail=text,
            exchanges=(reply.response.exchange,),
            impact=found,
        )
    )
    return steps


def _granted(client: ProfileClient, again: Connection, target: Target, scope: str | None) -> Step:
    """A configured tool may have effects: it is not called a second time. The new token must
    carry its scopes (`scope.challenge-complete` proves such a token works)."""
    assert again.tokens is not None
    granted = set((again.tokens.scope if again.tokens.scope is not None else scope or "").split())
    missing = [s for s in target.requires if s not in granted]
    name = f"step-up authorization (scope={scope})"
    if not missing:
        detail = f"the new token carries {' '.join(target.requires)}"
        return Step(name=name, outcome="ok", detail=detail)
    text = f"the step-up authorization did not grant {' '.join(missing)}"
    found = refused(Phase.STEP_UP, text, profile=client.profile, verdict=DEGRADED)
    return Step(name=name, outcome="failed", detail=text, impact=found)


async def _refresh_loop(
    client: ProfileClient, connection: Connection, target: Target
) -> list[Step]:
    profile = client.profile
    assert connection.tokens is not None
    refresh_token = connection.tokens.refresh_token
    refreshed = await refresh_grant(client, connection, refresh_token) if refresh_token else None
    exchanges = (refreshed.response.exchange,) if refreshed is not None else ()
    text = (
        "this client refreshes with its old scopes instead of asking for the challenged one: "
        f"{target.tool} keeps failing"
    )
    found = refused(
        Phase.STEP_UP,
        text,
        profile=profile,
        knobs=("step_up.mode",),
        verdict=DEGRADED,
        remediation="request every scope the client's tools need up front",
    )
    return [
        Step(
            name="step-up by refresh",
            outcome="failed",
            detail=text,
            exchanges=exchanges,
            impact=found,
        )
    ]


PROBES: dict[type, Probe] = {StepUpJourney: probe_step_up}
