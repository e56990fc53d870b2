"""Per-tool authorization probes: call tools with a token that lacks their scope.

Which tools, and which scope they need: every `[[tools]]` entry with `requires`; read-only tools
(annotated `readOnlyHint`, no required arguments) whose `securitySchemes` declare a scope; and
other read-only tools, which a token narrowed away from the challenged scope may show to need
more (their 403 reveals it). The narrow token carries `[scopes].narrow`, else every advertised
scope except the needed ones. No tool with side effects is called unless the configuration
names it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from harness.engine import Probe, Run
from harness.errors import NotApplicable, TargetError
from harness.oauth.discovery import Discovery
from harness.probes.resource.grants import (
    Obtained,
    TokenExpired,
    last_try,
    live_tokens,
    main_grant,
    retried,
    still_valid,
    tokens_or_skip,
)
from harness.probes.resource.mcp import CallOutcome, Session, ToolInfo, ToolUse, safe_tools
from harness.probes.scope.evidence import ScopeTrials, StepUp, StepUpTrials, ToolTrial
from harness.probes.static import is_static, narrow_scopes

MAX_TRIALS = 8
UNSUITABLE = frozenset({"offline_access", "openid"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    tool: ToolUse
    requires: tuple[str, ...] | None  # None: reveal (read-only tool, requirement unknown)
    source: str
    narrow: tuple[str, ...]


def advertised_scopes(discovery: Discovery) -> tuple[str, ...]:
    prm = discovery.prm.scopes_supported if discovery.prm else None
    metadata = discovery.as_metadata.scopes_supported if discovery.as_metadata else None
    return tuple(s for s in (prm or metadata or ()) if s not in UNSUITABLE)


def plan_trials(
    run: Run, discovery: Discovery, tools: Sequence[ToolInfo]
) -> tuple[list[Plan], list[str]]:
    """What to call with which narrow scopes, and why other tools are passed over."""
    advertised = advertised_scopes(discovery)
    # static mode: the one narrow token there is ([login].narrow_token) decides the scopes
    configured_narrow = narrow_scopes(run) if is_static(run) else tuple(run.config.narrow_scopes)
    plans: list[Plan] = []
    passed: list[str] = []

    def add(tool: ToolUse, requires: tuple[str, ...] | None, source: str) -> None:
        if any(p.tool.name == tool.name for p in plans):
            return
        excluded = set(requires or discovery.challenged_scope or ())
        narrow = configured_narrow or tuple(s for s in advertised if s not in excluded)
        if not narrow:
            passed.append(f"{tool.name}: no advertised scope leaves out what it needs")
        elif requires is not None and set(requires) <= set(narrow):
            passed.append(f"{tool.name}: [scopes].narrow already includes {' '.join(requires)}")
        else:
            plans.append(Plan(tool=tool, requires=requires, source=source, narrow=narrow))

    for entry in run.config.tools:
        if entry.requires:
            add(ToolUse(name=entry.name, arguments=entry.arguments), entry.requires, "[[tools]]")
        else:
            passed.append(f"{entry.name}: its [[tools]] entry names no requires")
    declared = {t.name: t.declared_scopes for t in tools}
    for safe in safe_tools(run, tools):
        scopes = declared.get(safe.name)
        if scopes:
            add(safe, scopes, "declared in its securitySchemes")
        else:
            add(safe, None, "read-only; a refusal reveals its scope")
    return plans[:MAX_TRIALS], passed


async def probe_scope_trials(run: Run, _profile: str | None) -> ScopeTrials:
    grant = await main_grant(run)
    listed, tools = await retried(lambda: _list_tools(run))
    if not listed.served and not run.config.tools:
        raise NotApplicable(f"tools/list failed ({listed.describe()}); no tool to call")
    plans, passed = plan_trials(run, grant.discovery, tools)
    scope_sets = {p.narrow for p in plans}
    obtained = dict(
        zip(
            scope_sets,
            await asyncio.gather(*(_narrow_token(run, s) for s in scope_sets)),
            strict=True,
        )
    )
    runnable = []
    for plan in plans:
        token = obtained[plan.narrow]
        if isinstance(token, str):
            passed.append(f"{plan.tool.name}: {token}")
        elif plan.requires and set(plan.requires) <= token.granted_scopes:
            passed.append(
                f"{plan.tool.name}: asked for {' '.join(plan.narrow)}, the authorization server "
                f"granted {' '.join(sorted(token.granted_scopes))}"
            )
        else:
            runnable.append((plan, token))
    trials = await asyncio.gather(*(_trial(run, plan, token) for plan, token in runnable))
    judged = []
    for trial in trials:
        if trial.requires is None and trial.call.status != 403 and trial.challenged is None:
            passed.append(f"{trial.tool}: {trial.call.describe()} (needs no scope beyond these)")
        elif trial.requires is None and not await _works_with_full_scope(run, trial):
            passed.append(f"{trial.tool}: refused with the run's own token too")
        else:
            judged.append(trial)
    return ScopeTrials(trials=tuple(judged), passed_over=tuple(passed))


async def _works_with_full_scope(run: Run, trial: ToolTrial) -> bool:
    """The control of a refusal that only suggests a scope: the same call with the run's own
    token works, so the narrow token's missing scope is why it was refused."""
    use = ToolUse(name=trial.tool, arguments=trial.arguments)

    async def control() -> CallOutcome:
        return await call_with(run, await live_tokens(run, purpose="scope control"), use)

    return (await retried(control)).served


async def _list_tools(run: Run) -> tuple[CallOutcome, tuple[ToolInfo, ...]]:
    live = await live_tokens(run, purpose="tools/list")
    session = Session(run, live.authorization)
    opened = await session.open()
    still_valid(opened.status, live.tokens)
    if not opened.served:
        raise TargetError(f"the valid token could not open a session ({opened.describe()})")
    listed, tools = await session.list_tools()
    still_valid(listed.status, live.tokens)
    return listed, tools


async def _narrow_token(run: Run, scopes: tuple[str, ...]) -> Obtained | str:
    try:
        return await tokens_or_skip(run, purpose="narrow token", scope=" ".join(scopes))
    except NotApplicable as exc:
        return str(exc)


async def _trial(run: Run, plan: Plan, token: Obtained) -> ToolTrial:
    try:
        call = await call_with(run, token, plan.tool)
    except TokenExpired:
        retry = await _narrow_token(run, plan.narrow)
        if isinstance(retry, str):
            raise TargetError(f"the narrow token lapsed and no other was issued: {retry}") from None
        token = retry
        call = await last_try(call_with(run, token, plan.tool))
    granted = tuple(sorted(token.granted_scopes)) or plan.narrow
    return ToolTrial(
        tool=plan.tool.name,
        arguments=plan.tool.arguments,
        requires=plan.requires,
        source=plan.source,
        narrow=granted,
        call=call,
    )


async def call_with(run: Run, token: Obtained, tool: ToolUse) -> CallOutcome:
    """Open a session with `token` and call `tool`; a refused `initialize` is the outcome when
    the server refuses the token before any tool is reached. `TokenExpired` when a 401 came
    to a token that had lapsed."""
    session = Session(run, token.authorization)
    opened = await session.open(f"initialize (to call {tool.name})")
    still_valid(opened.status, token.tokens)
    if not opened.served:
        return opened
    call = await session.call_tool(tool)
    still_valid(call.status, token.tokens)
    return call


async def probe_step_ups(run: Run, _profile: str | None) -> StepUpTrials:
    trials = await run.need(ScopeTrials)
    refused = [t for t in trials.trials if t.refused]
    named = [t for t in refused if t.challenged]
    unnamed = tuple(t for t in refused if not t.challenged)
    unanswered = tuple(t for t in trials.trials if t.call.unanswered)
    scopes = {_step_up_scope(t) for t in named}
    obtained = dict(
        zip(
            scopes,
            await asyncio.gather(*(_step_up_token(run, scope) for scope in scopes)),
            strict=True,
        )
    )

    async def retry(trial: ToolTrial) -> StepUp:
        scope = _step_up_scope(trial)
        token = obtained[scope]
        if isinstance(token, str):
            return StepUp(trial=trial, scope=scope, call=None, problem=token)
        use = ToolUse(name=trial.tool, arguments=trial.arguments)
        try:
            return StepUp(trial=trial, scope=scope, call=await call_with(run, token, use))
        except TokenExpired:
            again = await _step_up_token(run, scope)
            if isinstance(again, str):
                return StepUp(trial=trial, scope=scope, call=None, problem=again)
            call = await last_try(call_with(run, again, use))
            return StepUp(trial=trial, scope=scope, call=call)

    steps = await asyncio.gather(*(retry(t) for t in named))
    return StepUpTrials(steps=tuple(steps), unnamed=unnamed, unanswered=unanswered)


def _step_up_scope(trial: ToolTrial) -> str:
    """The scope a client steps up to: the challenged scopes together with those it already
    holds. A challenge need not repeat the scopes already granted (MCP 2026-07-28, SEP-2350),
    so asking for the challenged ones alone could drop a scope the call still needs."""
    wanted = list(dict.fromkeys((*(trial.challenged or ()), *trial.narrow)))
    return " ".join(wanted)


async def _step_up_token(run: Run, scope: str) -> Obtained | str:
    try:
        return await tokens_or_skip(run, purpose="step-up", scope=scope)
    except NotApplicable as exc:
        return str(exc)


PROBES: dict[type, Probe] = {ScopeTrials: probe_scope_trials, StepUpTrials: probe_step_ups}
