"""Running areas under hypothesis: bounded in examples and time, seeded, each failure shrunk.

A found failure masks its (property, mutation class) and the search runs again, so one area can
report several distinct failures, each shrunk to its smallest input.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, Verbosity, given, reject, seed, settings
from hypothesis.errors import HypothesisException
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test
from hypothesis.strategies import SearchStrategy

from harness.errors import NotApplicable, TargetError
from harness.fuzz.areas import AREAS, NotExercised
from harness.fuzz.context import FuzzContext, open_context
from harness.fuzz.properties import PropertyFailed
from harness.fuzz.records import AreaOutcome, FailureRecord, curl_chain, redacted
from harness.fuzz.state import Pending, machine_for, recheck
from harness.fuzz.strategies import Mutation

MAX_FAILURES_PER_AREA = 6
SHRINK_S = 10.0  # shrinking one failure, from its first sighting (may pass the area's end)
STATEFUL_STEP_COUNT = 12


@dataclass(frozen=True, slots=True, kw_only=True)
class FuzzSettings:
    areas: tuple[str, ...] = (*AREAS, "state")
    max_examples: int = 500
    seed: int = 0
    time_budget_s: float = 60.0  # per area
    intrusive: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "areas": list(self.areas),
            "max_examples": self.max_examples,
            "seed": self.seed,
            "time_budget_s": self.time_budget_s,
            "intrusive": self.intrusive,
            "deadline": None,
            "hypothesis_database": None,
            "derandomize": False,  # the seed drives every area, the state machine included
            "stateful_step_count": STATEFUL_STEP_COUNT,
        }


def run_fuzz(
    target_url: str,
    options: FuzzSettings,
    on_example: Callable[[str], None] = lambda _area: None,
) -> list[AreaOutcome]:
    """Every selected area against `target_url`, one after another."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(_run(target_url, options, loop, on_example))
    finally:
        loop.close()


async def _run(
    target_url: str,
    options: FuzzSettings,
    loop: asyncio.AbstractEventLoop,
    on_example: Callable[[str], None],
) -> list[AreaOutcome]:
    try:
        manager = open_context(
            target_url, loop=loop, seed=options.seed, intrusive=options.intrusive
        )
        ctx = await manager.__aenter__()
    except (NotApplicable, TargetError) as exc:
        return [
            AreaOutcome(area=a, properties=AREAS[a].properties, skipped=str(exc))
            for a in options.areas
        ]
    try:
        outcomes = []
        for name in options.areas:
            outcome = await asyncio.to_thread(_area_in_thread, ctx, name, options, on_example)
            outcomes.append(outcome)
        return outcomes
    finally:
        await manager.__aexit__(None, None, None)


def _area_in_thread(
    ctx: FuzzContext, name: str, options: FuzzSettings, on_example: Callable[[str], None]
) -> AreaOutcome:
    """Hypothesis drives examples synchronously; each example's HTTP runs on the run's loop."""
    return run_area(ctx, name, options, lambda: on_example(name))


def run_area(
    ctx: FuzzContext, name: str, options: FuzzSettings, on_example: Callable[[], None]
) -> AreaOutcome:
    if name == "state":
        return run_state(ctx, options, on_example)
    area = AREAS[name]
    outcome = AreaOutcome(area=name, properties=area.properties)
    started = time.monotonic()
    try:
        strategy = ctx.call(area.strategy(ctx))
    except (NotApplicable, NotExercised, TargetError) as exc:
        outcome.skipped = str(exc)
        return outcome
    end = started + options.time_budget_s
    for _ in range(MAX_FAILURES_PER_AREA):
        failure = _search(ctx, area.execute, strategy, options, end, outcome, on_example)
        if failure is None:
            break
        found, mutation = failure
        ctx.masked.add((found.prop, found.kind))
        outcome.failures.append(
            record(ctx, name, found, mutation.to_json(), options.seed, started=started)
        )
        if time.monotonic() > end:
            break
    outcome.duration_s = time.monotonic() - started
    return outcome


def _search(
    ctx: FuzzContext,
    execute: Callable[[FuzzContext, Mutation], Coroutine[object, object, frozenset[str]]],
    strategy: SearchStrategy[Mutation],
    options: FuzzSettings,
    end: float,
    outcome: AreaOutcome,
    on_example: Callable[[], None],
) -> tuple[PropertyFailed, Mutation] | None:
    last: list[tuple[PropertyFailed, Mutation]] = []
    first_seen: list[float] = []

    @settings(
        max_examples=options.max_examples,
        deadline=None,
        database=None,
        derandomize=False,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        verbosity=Verbosity.quiet,
        print_blob=False,
    )
    @seed(options.seed)
    @given(strategy)
    def example(mutation: Mutation) -> None:
        limit = first_seen[0] + SHRINK_S if first_seen else end
        if time.monotonic() > limit:
            reject()
        try:
            judged = ctx.call(execute(ctx, mutation))
        except NotExercised:
            reject()
        except PropertyFailed as exc:
            last.append((exc, mutation))
            first_seen[:] = first_seen or [time.monotonic()]
            raise
        outcome.examples += 1
        outcome.judged.update(judged)
        on_example()

    try:
        example()
    except PropertyFailed as exc:
        mutation = next((m for e, m in reversed(last) if e is exc), last[-1][1])
        return exc, mutation
    except HypothesisException:
        return last[-1] if last else None
    except BaseExceptionGroup as group:  # a flaky final replay: the smallest seen failure
        if last:
            return last[-1]
        raise group
    return None


def record(
    ctx: FuzzContext,
    area: str,
    exc: PropertyFailed,
    shrunk: dict[str, object],
    seed_value: int,
    *,
    started: float,
) -> FailureRecord:
    """The failure as report.json keeps it: `shrunk` is the mutation (or the state machine's
    steps), kept with the run's own values it was relative to so --replay can rebase it."""
    vault = ctx.run.http.vault
    return FailureRecord(
        area=area,
        prop=exc.prop,
        kind=exc.kind or str(shrunk.get("kind", "")),
        message=vault.redact(exc.message),
        input=redacted(vault, shrunk),
        curl=curl_chain(exc.exchanges),
        exchanges=tuple(e.to_json() for e in exc.exchanges),
        seed=seed_value,
        context={"redirect_uri": ctx.redirect_uri, "attacker": ctx.canary.origin},
        found_after_s=round(time.monotonic() - started, 3),
    )


def selected_areas(names: Sequence[str]) -> tuple[str, ...]:
    unknown = [n for n in names if n not in AREAS and n != "state"]
    if unknown:
        from harness.errors import ConfigError

        raise ConfigError(
            f"unknown --area {', '.join(unknown)}; valid: {', '.join([*AREAS, 'state'])}"
        )
    return tuple(n for n in names if n in AREAS)


STATE_PROPERTIES = (
    "code-once",
    "client-binding",
    "scope-never-widens",
    "revoked-dead",
    "refresh-rotation",
)


def run_state(
    ctx: FuzzContext, options: FuzzSettings, on_example: Callable[[], None]
) -> AreaOutcome:
    """The lifecycle state machine; a failure masks its property and the search runs again."""
    outcome = AreaOutcome(area="state", properties=STATE_PROPERTIES)
    started = time.monotonic()
    end = started + options.time_budget_s
    try:
        clients = ctx.call(ctx.clients(2))
    except NotApplicable:
        clients = [ctx.client]
    pending: list[Pending] = []
    seen: list[PropertyFailed] = []
    first_seen: list[float] = []
    late: list[FailureRecord] = []  # rotated-out refresh tokens alive past the grace window

    def start() -> None:
        """Each machine: none past the area's end, nor past a sighted failure's shrink time;
        refresh tokens whose grace window has passed are re-tried first."""
        found_late = recheck(ctx, pending, wait=False) if pending else None
        if found_late is not None:
            ctx.masked.add((found_late.prop, "*"))
            shrunk = steps_input(found_late)
            late.append(record(ctx, "state", found_late, shrunk, options.seed, started=started))
        if seen and not first_seen:
            first_seen.append(time.monotonic())
        if time.monotonic() > (first_seen[0] + SHRINK_S if first_seen else end):
            reject()
        outcome.examples += 1
        on_example()

    machine = machine_for(ctx, clients, pending, outcome.judged, start, seen.append)
    for _ in range(MAX_FAILURES_PER_AREA):
        seen.clear()
        first_seen.clear()
        try:
            _run_machine(machine, options)
        except PropertyFailed as exc:
            found: PropertyFailed | None = exc
        except (HypothesisException, BaseExceptionGroup):  # a flaky final replay
            found = min(seen, key=lambda f: len(f.steps)) if seen else None
        else:
            found = None
        if found is None:
            break
        ctx.masked.add((found.prop, "*"))
        outcome.failures.append(
            record(ctx, "state", found, steps_input(found), options.seed, started=started)
        )
    outcome.failures += late
    found_late = recheck(ctx, pending)
    if found_late is not None:
        shrunk = steps_input(found_late)
        outcome.failures.append(
            record(ctx, "state", found_late, shrunk, options.seed, started=started)
        )
    outcome.duration_s = time.monotonic() - started
    return outcome


def steps_input(found: PropertyFailed) -> dict[str, object]:
    """The state machine's shrunk input: the rules (and their drawn arguments) in order."""
    return {"kind": found.kind, "steps": list(found.steps)}


def _run_machine(machine: type[RuleBasedStateMachine], options: FuzzSettings) -> None:
    run_state_machine_as_test(
        seed(options.seed)(machine),
        settings=settings(
            max_examples=options.max_examples,
            stateful_step_count=STATEFUL_STEP_COUNT,
            deadline=None,
            database=None,
            report_multiple_bugs=False,
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
            print_blob=False,
            derandomize=False,
        ),
    )
