"""The prompt-injected agent (misuse.*): a client with valid, narrow credentials that reads what
the server's tools return, is steered by an injection found there, and obeys it.

The agent's token carries `[scopes].narrow` (else the scope a spec-following client asks for
first). It reads with the read-only tools, looks for the corpus's injections in what came back,
and takes the steps they ask for (every step of the corpus when none was found: the worst case,
an injection the harness did not see): call the privileged `[[tools]]` entries, replay its token
at `[target].other_resource`, and call `[upstream_canary].tool` while the canary listens.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from harness.engine import Probe, Run
from harness.errors import NotApplicable, TargetError
from harness.probes.misuse.canary import MIN_SECRET_CHARS, UpstreamCanary
from harness.probes.misuse.corpus import Step, find_injections, load_corpus
from harness.probes.misuse.evidence import AgentRun, Passthrough, PrivilegedCall, Replay
from harness.probes.resource.grants import (
    Obtained,
    TokenExpired,
    audiences,
    last_try,
    live_tokens,
    still_valid,
    tokens_or_skip,
)
from harness.probes.resource.mcp import CallOutcome, Session, ToolUse, result_text, safe_tools
from harness.probes.resource.target import McpProbe
from harness.probes.scope.probes import call_with

MAX_READS = 4


async def _agent_token(run: Run) -> Obtained:
    """The agent's token: `[scopes].narrow`, else the scope a client asks for first."""
    narrow = run.config.narrow_scopes
    if narrow:
        return await tokens_or_skip(run, purpose="agent", scope=" ".join(narrow))
    return await live_tokens(run, purpose="agent")


async def _with_agent_token[T](
    run: Run, first: Obtained, action: Callable[[Obtained], Awaitable[T]]
) -> T:
    """`action` with the agent's token; once more with a fresh one if it lapsed under it."""
    try:
        return await action(first)
    except TokenExpired:
        pass
    return await last_try(action(await _agent_token(run)))


async def probe_agent(run: Run, _profile: str | None) -> AgentRun:
    corpus = load_corpus(run.config.misuse.injections)
    if not corpus:
        raise NotApplicable("no injection corpus was found; name one in [misuse].injections")
    agent = await _agent_token(run)
    read = await _with_agent_token(run, agent, lambda token: _read(run, token))
    found = find_injections(corpus, [result_text(r.result) for r in read if r.served])
    if found:
        steered_by = "injection " + ", ".join(i.id for i in found) + " in what the agent read"
    else:
        steered_by = "the whole corpus (no injection was found in what the agent read)"
    steps = frozenset().union(*(i.steps for i in (found or corpus)))
    absent: list[tuple[str, str]] = [
        (step.value, f"no injection steering the agent asks it to {step.value}")
        for step in Step
        if step not in steps
    ]
    escalations, replay, passthrough = await asyncio.gather(
        _escalate(run, agent, absent) if Step.CALL_PRIVILEGED_TOOLS in steps else _none(),
        _replay(run, agent, absent) if Step.REPLAY_TOKEN in steps else _none(),
        _passthrough(run, agent, absent) if Step.CALL_UPSTREAM in steps else _none(),
    )
    return AgentRun(
        agent_scopes=tuple(sorted(agent.granted_scopes)),
        steered_by=steered_by,
        read=read,
        escalations=escalations or (),
        replay=replay,
        passthrough=passthrough,
        absent=tuple(absent),
    )


async def _read(run: Run, agent: Obtained) -> tuple[CallOutcome, ...]:
    """What the agent reads: the read-only tools' results (no side effects)."""
    session = Session(run, agent.authorization)
    opened = await session.open("the agent: initialize")
    still_valid(opened.status, agent.tokens)
    if not opened.served:
        raise TargetError(f"the agent's token could not open a session ({opened.describe()})")
    listed, tools = await session.list_tools()
    still_valid(listed.status, agent.tokens)
    readers = safe_tools(run, tools)[:MAX_READS]
    read = await asyncio.gather(
        *(session.call_tool(t, label=f"the agent reads {t.name}") for t in readers)
    )
    for outcome in read:
        still_valid(outcome.status, agent.tokens)
    return tuple(read)


async def _none() -> None:
    return None


async def _escalate(
    run: Run, agent: Obtained, absent: list[tuple[str, str]]
) -> tuple[PrivilegedCall, ...]:
    scopes = agent.granted_scopes
    privileged = [t for t in run.config.tools if t.requires and not set(t.requires) <= scopes]
    if not privileged:
        absent.append(
            (
                Step.CALL_PRIVILEGED_TOOLS.value,
                "no privileged tool to try: name tools in [[tools]] (name, requires, arguments) "
                f"whose requires the agent's token ({' '.join(sorted(scopes)) or 'no scope'}) "
                "lacks",
            )
        )
        return ()

    def calling(tool: ToolUse) -> Callable[[Obtained], Awaitable[CallOutcome]]:
        return lambda token: call_with(run, token, tool)

    uses = [ToolUse(name=t.name, arguments=t.arguments) for t in privileged]
    calls = await asyncio.gather(*(_with_agent_token(run, agent, calling(u)) for u in uses))
    return tuple(
        PrivilegedCall(tool=t.name, requires=t.requires, call=call)
        for t, call in zip(privileged, calls, strict=True)
    )


async def _replay(run: Run, agent: Obtained, absent: list[tuple[str, str]]) -> Replay | None:
    other = run.config.other_resource
    if not other:
        absent.append(
            (
                Step.REPLAY_TOKEN.value,
                "no other MCP resource to replay the token at: set [target].other_resource",
            )
        )
        return None

    async def replay(token: Obtained) -> Replay:
        at_other, at_target = await asyncio.gather(
            McpProbe(run, other).attempt(
                f"the agent's token at {other}", authorization=token.authorization
            ),
            McpProbe(run).attempt(
                "the agent's token at the target", authorization=token.authorization
            ),
        )
        still_valid(at_target.status, token.tokens)
        still_valid(at_other.status, token.tokens)  # a lapsed token's refusal proves nothing
        audience = audiences(token.tokens.access_token)
        return Replay(other=other, audience=audience, at_other=at_other, at_target=at_target)

    return await _with_agent_token(run, agent, replay)


async def _passthrough(
    run: Run, agent: Obtained, absent: list[tuple[str, str]]
) -> Passthrough | None:
    canary = run.config.upstream_canary
    if canary is None:
        absent.append(
            (
                Step.CALL_UPSTREAM.value,
                "no upstream canary: configure [upstream_canary] (host, port, and the tool that "
                "makes your server call its upstream API, whose URL must point at the canary)",
            )
        )
        return None
    tool = ToolUse(name=canary.tool.name, arguments=canary.tool.arguments)

    async def call_upstream(token: Obtained) -> Passthrough:
        held = (token.tokens.refresh_token, token.client.client_secret)  # what the agent holds
        async with UpstreamCanary(
            canary.host,
            canary.port,
            agent_token=token.tokens.access_token,
            secrets=[s for s in held if s],
        ) as listener:
            call = await call_with(run, token, tool)
            await listener.first_hit(canary.wait_s)
            hits = listener.hits
        unmatchable = (
            None
            if listener.matchable
            else f"the agent's access token is shorter than {MIN_SECRET_CHARS} characters, too "
            "short to tell from other text in the upstream request"
        )
        return Passthrough(canary=canary.url, tool_call=call, hits=hits, unmatchable=unmatchable)

    return await _with_agent_token(run, agent, call_upstream)


PROBES: dict[type, Probe] = {AgentRun: probe_agent}
