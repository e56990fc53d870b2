"""The engine: gather evidence concurrently, then let every selected check judge it.

Evidence records are produced by probes (flows that drive real HTTP). Each kind is produced once per
run, on first demand, as an asyncio task that every check and probe needing it awaits; independent
probes therefore run concurrently without any scheduling code. A probe that cannot run raises
`NotApplicable` (its checks `skip`) or `TargetError` (its checks are `error`).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, cast

from harness.config import Config
from harness.errors import NotApplicable, TargetError
from harness.http import Exchange, HttpClient
from harness.results import Result, Verdict

if TYPE_CHECKING:  # the checks import evidence types, whose probes import this module
    from harness.checks.base import AnyCheck

log = logging.getLogger(__name__)

Probe = Callable[["Run", str | None], Awaitable[object]]  # (run, profile) -> evidence

RECENT_EXCHANGES = 6  # kept per probe: the evidence of an `error` (what led to it)
# The exchanges the current probe task made (each task gets its own, see `Run.need`).
_RECORDING: contextvars.ContextVar[deque[Exchange] | None] = contextvars.ContextVar(
    "harness_recording", default=None
)


async def _recording(into: deque[Exchange], work: Awaitable[object]) -> object:
    _RECORDING.set(into)  # in this task's own context: its exchanges, and its children's
    return await work


def _note(exchange: Exchange) -> None:
    recording = _RECORDING.get()
    if recording is not None:
        recording.append(exchange)


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    mcp_url: str
    spec: str = "auto"  # auto, or one of the protocol revisions
    seed: int = 0


class Run:
    """One run against one target: the HTTP layer, the configuration and the evidence cache."""

    def __init__(
        self,
        *,
        http: HttpClient,
        config: Config,
        target: Target,
        probes: Mapping[type, Probe],
    ) -> None:
        self.http = http
        self.config = config
        self.target = target
        self._probes = probes
        self._tasks: dict[tuple[type, str | None], asyncio.Task[object]] = {}
        self._recorded: dict[tuple[type, str | None], deque[Exchange]] = {}
        http.add_recorder(_note)
        self.spec_revision: str | None = None  # the revision the target negotiated

    async def need[E](self, kind: type[E], profile: str | None = None) -> E:
        """The evidence of `kind` (for `profile`), produced once per run by its probe."""
        key = (kind, profile)
        task = self._tasks.get(key)
        if task is None:
            probe = self._probes.get(kind)
            if probe is None:
                raise LookupError(f"no probe produces {kind.__name__}")
            recorded: deque[Exchange] = deque(maxlen=RECENT_EXCHANGES)
            self._recorded[key] = recorded
            task = asyncio.ensure_future(_recording(recorded, probe(self, profile)))
            self._tasks[key] = task
        try:
            return cast("E", await asyncio.shield(task))
        except Exception:
            # what the failed probe sent counts as the caller's too: an error is shown with it
            mine = _RECORDING.get()
            if mine is not None and mine is not self._recorded[key]:
                mine.extend(self._recorded[key])
            raise

    def recent_exchanges(self, kind: type, profile: str | None = None) -> tuple[Exchange, ...]:
        """The last exchanges the probe of `kind` made (or inherited from a failed probe)."""
        return tuple(self._recorded.get((kind, profile), ()))

    async def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)


async def judge(
    run: Run, check: AnyCheck, profile: str | None = None, *, timeout_s: float = 180.0
) -> Result:
    """Run one check: obtain its evidence, then judge it. Never raises.

    Messages quote what servers said (challenges, error descriptions), which may echo a
    secret: every message is redacted with the run's vault before it leaves.
    """
    result = await _judge(run, check, profile, timeout_s)
    return replace(result, message=run.http.vault.redact(result.message))


async def _judge(run: Run, check: AnyCheck, profile: str | None, timeout_s: float) -> Result:
    try:
        async with asyncio.timeout(timeout_s):
            evidence = await run.need(check.evidence, profile)
    except NotApplicable as absent:
        return check.result(Verdict.SKIP, str(absent), profile=profile)
    except TargetError as exc:
        shown = error_evidence(exc, run.recent_exchanges(check.evidence, profile))
        return check.result(Verdict.ERROR, str(exc), profile=profile, exchanges=shown)
    except TimeoutError:
        message = f"gathering evidence took longer than {timeout_s:.0f}s"
        shown = run.recent_exchanges(check.evidence, profile)
        return check.result(Verdict.ERROR, message, profile=profile, exchanges=shown)
    except Exception as exc:  # a harness bug must surface as `error`, never as a pass
        log.debug("probe for %s crashed", check.id, exc_info=True)  # may quote secrets
        message = f"harness error: {type(exc).__name__}: {run.http.vault.redact(str(exc))}"
        shown = run.recent_exchanges(check.evidence, profile)
        return check.result(Verdict.ERROR, message, profile=profile, exchanges=shown)
    return check.run(evidence, profile=profile)


def error_evidence(exc: BaseException, recent: Sequence[Exchange]) -> tuple[Exchange, ...]:
    """The exchanges an error names itself, else the last ones that led to it."""
    own = cast("tuple[Exchange, ...]", getattr(exc, "exchanges", ()))
    return tuple(own) or tuple(recent)


async def judge_all(
    run: Run,
    plan: Iterable[tuple[AnyCheck, str | None]],
    on_result: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Judge every (check, profile) concurrently; results come back in the order of `plan`."""

    async def one(check: AnyCheck, profile: str | None) -> Result:
        result = await judge(run, check, profile)
        if on_result is not None:
            on_result(result)
        return result

    return list(await asyncio.gather(*(one(check, profile) for check, profile in plan)))
