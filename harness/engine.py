"""The engine: gather evidence concurrently, then let every selected check judge it.

Evidence records are produced by probes (flows that drive real HTTP). Each kind is produced once per
run, on first demand, as an asyncio task that every check and probe needing it awaits; independent
probes therefore run concurrently without any scheduling code. A probe that cannot run raises
`NotApplicable` (its checks `skip`) or `TargetError` (its checks are `error`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
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
        self.spec_revision: str | None = None  # the revision the target negotiated

    async def need[E](self, kind: type[E], profile: str | None = None) -> E:
        """The evidence of `kind` (for `profile`), produced once per run by its probe."""
        key = (kind, profile)
        task = self._tasks.get(key)
        if task is None:
            probe = self._probes.get(kind)
            if probe is None:
                raise LookupError(f"no probe produces {kind.__name__}")
            task = asyncio.ensure_future(probe(self, profile))
            self._tasks[key] = task
        return cast("E", await asyncio.shield(task))

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
        shown = cast("tuple[Exchange, ...]", getattr(exc, "exchanges", ()))
        return check.result(Verdict.ERROR, str(exc), profile=profile, exchanges=shown)
    except TimeoutError:
        message = f"gathering evidence took longer than {timeout_s:.0f}s"
        return check.result(Verdict.ERROR, message, profile=profile)
    except Exception as exc:  # a harness bug must surface as `error`, never as a pass
        log.debug("probe for %s crashed", check.id, exc_info=True)  # may quote secrets
        message = f"harness error: {type(exc).__name__}: {run.http.vault.redact(str(exc))}"
        return check.result(Verdict.ERROR, message, profile=profile)
    return check.run(evidence, profile=profile)


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
