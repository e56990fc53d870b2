"""Whole client journeys, recorded step by step for the scenario checks."""

from __future__ import annotations

from collections.abc import Mapping

from harness.engine import Probe, Run
from harness.errors import TargetError
from harness.http import Exchange
from harness.mcp.client import McpClient, McpReply
from harness.oauth.errors import FlowError
from harness.oauth.tokens import refresh
from harness.probes.grant import Grant, obtain_grant
from harness.probes.journey import Journey, Step
from harness.probes.target import McpProbe

GRANT_STEPS = ("discovery", "registration", "authorization", "token")


def _reply_step(name: str, reply: McpReply) -> Step:
    exchanges = (reply.response.exchange,)
    if reply.response.status != 200 or reply.reply is None:
        return Step(
            name=name, outcome="failed", detail=reply.response.summary(), exchanges=exchanges
        )
    if reply.reply.error is not None:
        return Step(
            name=name,
            outcome="failed",
            exchanges=exchanges,
            detail=f"JSON-RPC error {reply.reply.error.code}: {reply.reply.error.message}",
        )
    return Step(name=name, outcome="ok", exchanges=exchanges)


def pick_safe_tool(run: Run, tools: object) -> tuple[str, Mapping[str, object]] | None:
    """The configured safe tool, else a tool the server marks read-only: never one with effects."""
    if run.config.safe_tool is not None:
        return run.config.safe_tool.name, run.config.safe_tool.arguments
    if not isinstance(tools, list):
        return None
    for tool in tools:
        if not isinstance(tool, dict):
            continue
        annotations = tool.get("annotations")
        schema = tool.get("inputSchema")
        required = schema.get("required") if isinstance(schema, dict) else None
        if (
            isinstance(annotations, dict)
            and annotations.get("readOnlyHint") is True
            and not required
            and isinstance(tool.get("name"), str)
        ):
            return str(tool["name"]), {}
    return None


async def probe_happy_path(run: Run, profile: str | None) -> Journey:
    steps: list[Step] = []
    try:
        grant = await obtain_grant(run, purpose="happy path", strict=True)
    except FlowError as exc:
        failed_at = GRANT_STEPS.index(exc.step) if exc.step in GRANT_STEPS else 0
        steps += [Step(name=s, outcome="ok") for s in GRANT_STEPS[:failed_at]]
        steps.append(
            Step(name=exc.step, outcome="failed", detail=str(exc), exchanges=exc.exchanges)
        )
        return Journey(profile=profile or "", steps=tuple(steps))
    steps += [Step(name=s, outcome="ok") for s in GRANT_STEPS[:-1]]
    steps.append(Step(name="token", outcome="ok", exchanges=grant.exchanges[-1:]))
    client: McpClient = McpProbe(run).client()
    authorization = f"Bearer {grant.tokens.access_token}"
    try:
        steps += await _use_and_refresh(run, client, authorization, grant)
    except TargetError as exc:
        shown: tuple[Exchange, ...] = getattr(exc, "exchanges", ())
        steps.append(Step(name="mcp", outcome="failed", detail=str(exc), exchanges=shown))
    return Journey(profile=profile or "", steps=tuple(steps))


async def _use_and_refresh(
    run: Run, client: McpClient, authorization: str, grant: Grant
) -> list[Step]:
    steps: list[Step] = []
    if not client.stateless:
        step = _reply_step("initialize", await client.initialize(authorization))
        steps.append(step)
        if step.outcome == "failed":
            return steps
    run.spec_revision = client.protocol_version
    listed = await client.list_tools(authorization)
    step = _reply_step("tools/list", listed)
    steps.append(step)
    if step.outcome == "failed":
        return steps
    result = listed.reply.result if listed.reply else None
    tool = pick_safe_tool(run, result.get("tools") if result else None)
    if tool is None:
        steps.append(
            Step(
                name="tools/call",
                outcome="skipped",
                detail="no read-only tool to call; set [target].safe_tool",
            )
        )
    else:
        called = await client.call_tool(tool[0], dict(tool[1]), authorization)
        step = _reply_step(f"tools/call {tool[0]}", called)
        steps.append(step)
        if step.outcome == "failed":
            return steps
    if not grant.tokens.refresh_token:
        steps.append(Step(name="refresh", outcome="skipped", detail="no refresh token was issued"))
        return steps
    refreshed = await refresh(
        run.http,
        grant.token_endpoint,
        client=grant.client,
        refresh_token=grant.tokens.refresh_token,
        resource=grant.resource,
    )
    if refreshed.tokens is None:
        steps.append(
            Step(
                name="refresh",
                outcome="failed",
                detail=f"refused: {refreshed.error}",
                exchanges=(refreshed.response.exchange,),
            )
        )
        return steps
    steps.append(Step(name="refresh", outcome="ok", exchanges=(refreshed.response.exchange,)))
    again = f"Bearer {refreshed.tokens.access_token}"
    if tool is None:
        steps.append(_reply_step("call again (tools/list)", await client.list_tools(again)))
    else:
        called = await client.call_tool(tool[0], dict(tool[1]), again)
        steps.append(_reply_step(f"call again ({tool[0]})", called))
    return steps


PROBES: dict[type, Probe] = {Journey: probe_happy_path}
