"""`fuzz --replay FILE`: re-run the failures a report.json (or a failures list) saved.

Nothing stale is sent: a mutation is an edit of the happy path's values, so each replay runs a
fresh flow (a new code, a new token) and applies the saved edit to it; a state machine failure
re-runs its rules in order, each extracting codes and tokens from the responses it gets. The
values the saved input was relative to (the registered redirect URI, the canary's origin) are
rebased onto this run's. A failure is `fixed` only after `CLEAN_REPLAYS` clean replays in a row,
`failing` as soon as one reproduces it, else `inconclusive` (the property could not be judged).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

from hypothesis.stateful import RULE_MARKER

from harness.errors import ConfigError, NotApplicable, TargetError
from harness.fuzz.areas import AREAS, NotExercised
from harness.fuzz.context import FuzzContext, open_context
from harness.fuzz.properties import PROPERTIES, PropertyFailed
from harness.fuzz.records import curl_chain, property_result
from harness.fuzz.state import Pending, machine_for, recheck
from harness.fuzz.strategies import Mutation
from harness.results import Level, Result, Verdict

CLEAN_REPLAYS = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class SavedFailure:
    area: str
    prop: str
    kind: str
    input: dict[str, object]
    context: dict[str, str]
    seed: int | None

    @property
    def check(self) -> str:
        return f"fuzz.{self.area}.{self.prop}"

    @classmethod
    def from_json(cls, obj: dict[str, object]) -> SavedFailure:
        area, prop = str(obj.get("area", "")), str(obj.get("property", ""))
        if area not in {*AREAS, "state"} or prop not in PROPERTIES:
            raise ConfigError(f"--replay: no fuzz area {area!r} with property {prop!r}")
        shrunk = obj.get("input")
        if not isinstance(shrunk, dict):
            raise ConfigError(f"--replay: the {area}/{prop} failure has no saved input")
        context = obj.get("context")
        seed = obj.get("seed")
        return cls(
            area=area,
            prop=prop,
            kind=str(obj.get("mutation_class", "")),
            input=cast("dict[str, object]", shrunk),
            context=cast("dict[str, str]", context) if isinstance(context, dict) else {},
            seed=seed if isinstance(seed, int) else None,
        )


@dataclass(slots=True, kw_only=True)
class Replayed:
    saved: SavedFailure
    status: str = "inconclusive"
    attempts: list[dict[str, object]] = field(default_factory=list)
    evidence: tuple[dict[str, object], ...] = ()
    curl: tuple[str, ...] = ()
    message: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "check": self.saved.check,
            "area": self.saved.area,
            "property": self.saved.prop,
            "mutation_class": self.saved.kind,
            "input": self.saved.input,
            "seed": self.saved.seed,
            "status": self.status,
            "replays": self.attempts,
            "message": self.message,
            "curl": list(self.curl),
        }


def load_failures(path: Path) -> list[SavedFailure]:
    """The failures of a saved report.json (its `fuzz` section), of a `{"failures": [...]}`
    document or of a bare list."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"--replay {path}: {exc}") from exc
    if isinstance(document, dict) and isinstance(document.get("fuzz"), dict):
        document = document["fuzz"]
    if isinstance(document, dict):
        document = document.get("failures")
    if not isinstance(document, list):
        raise ConfigError(f"--replay {path}: no fuzz failures in it")
    return [SavedFailure.from_json(f) for f in document if isinstance(f, dict)]


def run_replay(target_url: str, failures: list[SavedFailure], seed: int) -> list[Replayed]:
    """Every saved failure replayed against `target_url` (its HTTP on this loop, the replays
    in a worker thread, as the runner does)."""

    async def main() -> list[Replayed]:
        loop = asyncio.get_running_loop()
        try:
            manager = open_context(target_url, loop=loop, seed=seed)
            ctx = await manager.__aenter__()
        except (NotApplicable, TargetError) as exc:
            return [
                Replayed(saved=f, message=f"the harness cannot run a flow there: {exc}")
                for f in failures
            ]
        try:
            return await asyncio.to_thread(lambda: [replay(ctx, f) for f in failures])
        finally:
            await manager.__aexit__(None, None, None)

    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(main())
    finally:
        loop.close()


def replay(ctx: FuzzContext, saved: SavedFailure) -> Replayed:
    """Up to `CLEAN_REPLAYS` replays; the first that reproduces the failure ends it."""
    out = Replayed(saved=saved)
    clean = 0
    for _ in range(CLEAN_REPLAYS):
        # only the saved property may fail: another one found on the way is not this failure
        ctx.masked = {(p, "*") for p in PROPERTIES if p != saved.prop}
        try:
            exercised = _once(ctx, saved)
        except PropertyFailed as exc:
            vault = ctx.run.http.vault
            out.status, out.message = "failing", vault.redact(exc.message)
            out.evidence = tuple(e.to_json() for e in exc.exchanges)
            out.curl = curl_chain(exc.exchanges)
            out.attempts.append({"outcome": "failing", "message": out.message})
            return out
        except (NotExercised, NotApplicable, TargetError) as exc:
            out.attempts.append({"outcome": "not exercised", "message": str(exc)})
            break
        if not exercised:
            out.attempts.append({"outcome": "not exercised", "message": "property not judged"})
            break
        clean += 1
        out.attempts.append({"outcome": "clean"})
    ctx.masked = set()
    if clean == CLEAN_REPLAYS:
        out.status = "fixed"
        out.message = f"{clean} clean replays in a row"
    else:
        last = out.attempts[-1].get("message", "") if out.attempts else ""
        out.message = f"not judged after {clean} clean replays: {last}"
    return out


def _once(ctx: FuzzContext, saved: SavedFailure) -> bool:
    """One replay; True when the property was judged and held."""
    shrunk = _rebased(saved.input, saved.context, ctx)
    if saved.area == "state":
        return _replay_steps(ctx, saved.prop, shrunk)
    mutation = Mutation.from_json(cast("dict[str, object]", shrunk))
    judged = ctx.call(AREAS[saved.area].execute(ctx, mutation))
    return saved.prop in judged


def _replay_steps(ctx: FuzzContext, prop: str, shrunk: object) -> bool:
    steps = shrunk.get("steps") if isinstance(shrunk, dict) else None
    if not isinstance(steps, list) or not steps:
        raise NotExercised("the saved state failure has no steps")
    try:
        clients = ctx.call(ctx.clients(2))
    except NotApplicable:
        clients = [ctx.client]
    judged: Counter[str] = Counter()
    pending: list[Pending] = []
    machine_class = machine_for(ctx, clients, pending, judged, lambda: None, lambda _f: None)
    machine = machine_class()
    for step in steps:
        name = str(step.get("rule")) if isinstance(step, dict) else ""
        method = getattr(machine_class, name, None)
        rule = getattr(method, RULE_MARKER, None)
        if rule is None:
            raise NotExercised(f"the saved steps name no rule {name!r}")
        if not all(pre(machine) for pre in rule.preconditions):
            # this run's responses made the step impossible (e.g. no code was issued): the
            # sequence that failed was not replayed, so a judgement elsewhere proves nothing
            raise NotExercised(f"the saved step {name!r} could not be carried out on this run")
        args = step.get("args") if isinstance(step, dict) else None
        getattr(machine, name)(**(args if isinstance(args, dict) else {}))
    late = recheck(ctx, pending)
    if late is not None:
        raise late
    return judged[prop] > 0


def _rebased(value: object, saved: dict[str, str], ctx: FuzzContext) -> object:
    """`value` with the saved run's redirect URI and canary host:port replaced by this run's."""
    pairs = [(saved.get("redirect_uri"), ctx.redirect_uri)]
    old, new = saved.get("attacker"), ctx.canary.origin
    if old:
        pairs.append((urlsplit(old).netloc, urlsplit(new).netloc))
    swaps = [(a, b) for a, b in pairs if a and a != b]

    def walk(item: object) -> object:
        if isinstance(item, str):
            for a, b in swaps:
                item = item.replace(a, b)
            return item
        if isinstance(item, list):
            return [walk(v) for v in item]
        if isinstance(item, dict):
            return {k: walk(v) for k, v in item.items()}
        return item

    return walk(value) if swaps else value


def results(replayed: list[Replayed]) -> list[Result]:
    """One result per replayed check: fail if any of its failures still fails, pass only when
    every one is fixed, else skip."""
    by_check: dict[str, list[Replayed]] = {}
    for item in replayed:
        by_check.setdefault(item.saved.check, []).append(item)
    out = []
    for check, items in by_check.items():
        prop = PROPERTIES[items[0].saved.prop]
        failing = [i for i in items if i.status == "failing"]
        if failing:
            first = failing[0]
            verdict = Verdict.FAIL if prop.level is Level.MUST else Verdict.WARN
            message = f"still failing on replay: {first.message}"
            evidence, reproduce = first.evidence, "\n".join(first.curl)
        elif all(i.status == "fixed" for i in items):
            verdict, evidence, reproduce = Verdict.PASS, (), None
            message = f"fixed: {CLEAN_REPLAYS} clean replays of each of {len(items)} failures"
        else:
            verdict, evidence, reproduce = Verdict.SKIP, (), None
            message = next(i.message for i in items if i.status != "fixed")
        out.append(
            property_result(check, items[0].saved.prop, verdict, message, evidence, reproduce)
        )
    return out
