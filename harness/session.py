"""A harness session: one run of the selected checks against one target, usable without pytest."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable

from harness import __version__
from harness.checks import ALL_CHECKS, AnyCheck
from harness.config import Config
from harness.egress import EgressPolicy
from harness.engine import Run, Target, judge_all
from harness.errors import TargetError
from harness.http import Deadline, HttpClient
from harness.probes.evidence import ResourceDiscovery
from harness.probes.registry import PROBES
from harness.redact import SecretVault
from harness.results import Report, Result, Verdict

log = logging.getLogger(__name__)

BASELINE_PROFILE = "spec-2025-11-25"
RUN_DEADLINE_S = 600.0
Selection = frozenset[tuple[str, str | None]]


class HarnessSession:
    def __init__(
        self,
        *,
        target_url: str,
        config: Config,
        spec: str = "auto",
        seed: int | None = None,
        selected: Selection = frozenset(),
        on_result: Callable[[Result], None] | None = None,
    ) -> None:
        self.target = Target(
            mcp_url=target_url,
            spec=spec,
            seed=seed if seed is not None else random.SystemRandom().randrange(2**31),
        )
        self.config = config
        self.selected = selected
        self.on_result = on_result
        self.vault = SecretVault(config.secrets())
        self.results: dict[tuple[str, str | None], Result] = {}
        self.fatal: str | None = None
        self.spec_revision: str | None = None

    def planned(self) -> list[tuple[AnyCheck, str | None]]:
        plan = [(c, BASELINE_PROFILE if c.per_profile else None) for c in ALL_CHECKS]
        if self.selected:
            plan = [(c, p) for c, p in plan if (c.id, p) in self.selected]
        return plan

    def run(self) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        policy = EgressPolicy.for_target(self.target.mcp_url)
        async with HttpClient(
            vault=self.vault, policy=policy, deadline=Deadline(RUN_DEADLINE_S)
        ) as http:
            run = Run(http=http, config=self.config, target=self.target, probes=PROBES)
            try:
                await self._preflight(run)
                results = await judge_all(run, self.planned(), on_result=self.on_result)
            finally:
                await run.close()
        for result in results:
            self.results[(result.check, result.profile)] = result
        self.spec_revision = run.spec_revision

    async def _preflight(self, run: Run) -> None:
        """Reach the target once; if it is unreachable every result would be an error."""
        try:
            await run.need(ResourceDiscovery)
        except TargetError as exc:
            self.fatal = f"target unreachable: {exc}"
        except Exception:  # the discovery checks will report it as `error`
            log.debug("discovery failed", exc_info=True)

    def result(self, check_id: str, profile: str | None = None) -> Result:
        try:
            return self.results[(check_id, profile)]
        except KeyError:
            check = next(c for c in ALL_CHECKS if c.id == check_id)
            return check.result(Verdict.ERROR, "the check was not run in this session")

    def report(self, *, started_at: str, duration_s: float) -> Report:
        order = {(c.id, p): i for i, (c, p) in enumerate(self.planned())}
        results = sorted(self.results.values(), key=lambda r: order.get((r.check, r.profile), 0))
        extra: dict[str, object] = {}
        if self.fatal:
            extra["harness"] = {"fatal": self.fatal}
        return Report(
            tool_version=__version__,
            target_url=self.target.mcp_url,
            spec_revision=self.spec_revision,
            started_at=started_at,
            duration_s=duration_s,
            seed=self.target.seed,
            results=tuple(results),
            extra=extra,
        )
