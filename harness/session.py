"""A harness session: one run of the selected checks against one target, usable without pytest.

Per-profile checks run once per selected client profile (the baseline spec profile when none is
named); after the checks, every profile whose scenarios all ran gets a compatibility verdict.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence

from harness import __version__
from harness.budget import RequestBudget
from harness.checks import ALL_CHECKS, AnyCheck
from harness.cli import DEFAULT_DEADLINE_S
from harness.compat import compatibility
from harness.config import Config
from harness.egress import EgressPolicy
from harness.engine import Run, Target, judge
from harness.errors import NotApplicable, TargetError
from harness.exchange import Exchange
from harness.http import Deadline, HttpClient
from harness.probes.discovery.evidence import ResourceDiscovery
from harness.probes.registry import PROBES
from harness.probes.scenarios.base import ProfileCatalogue, catalogue_probe
from harness.probes.scenarios.journey import SCENARIO_EVIDENCE, Journey
from harness.probes.transport.probes import guard_connections
from harness.profiles.catalogue import load_profiles, select
from harness.redact import SecretVault
from harness.results import Compatibility, Report, Result, Verdict

log = logging.getLogger(__name__)

BASELINE_PROFILE = "spec-2025-11-25"
DEADLINE_GRACE_S = 2.0  # after the run's deadline, for in-flight checks to report their errors
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
        profiles: Sequence[str] | None = None,
        profile_dirs: Sequence[str] = (),
        max_registrations: int | None = None,
        deadline_s: float = DEFAULT_DEADLINE_S,
        allow_private: bool = False,
    ) -> None:
        """`profiles`: names to simulate (None: the baseline only; empty: every profile);
        `max_registrations`: the most client registrations the run may send; `deadline_s`: the
        run's total time; `allow_private`: private addresses are reachable whatever the target."""
        self.target = Target(
            mcp_url=target_url,
            spec=spec,
            seed=seed if seed is not None else random.SystemRandom().randrange(2**31),
        )
        self.config = config
        self.selected = selected
        self.on_result = on_result
        self.catalogue = load_profiles(profile_dirs)
        names = (BASELINE_PROFILE,) if profiles is None else tuple(profiles)
        self.profiles = tuple(p.name for p in select(self.catalogue, names))
        self.vault = SecretVault(config.secrets())
        self.budget = RequestBudget(max_registrations=max_registrations)
        self.results: dict[tuple[str, str | None], Result] = {}
        self.compatibility: tuple[Compatibility, ...] = ()
        self.deadline_s = deadline_s
        self.allow_private = allow_private
        self.fatal: str | None = None
        self._fatal_exchanges: tuple[Exchange, ...] = ()
        self.spec_revision: str | None = None

    def planned(self) -> list[tuple[AnyCheck, str | None]]:
        plan: list[tuple[AnyCheck, str | None]] = []
        for check in ALL_CHECKS:
            if check.per_profile:
                plan += [(check, name) for name in self.profiles]
            else:
                plan.append((check, None))
        if self.selected:
            plan = [(c, p) for c, p in plan if (c.id, p) in self.selected]
        return plan

    def run(self) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        policy = EgressPolicy.for_target(self.target.mcp_url, allow_private=self.allow_private)
        probes = {**PROBES, ProfileCatalogue: catalogue_probe(self.catalogue)}
        deadline = Deadline(self.deadline_s)
        async with HttpClient(
            vault=self.vault, policy=policy, deadline=deadline, budget=self.budget
        ) as http:
            run = Run(http=http, config=self.config, target=self.target, probes=probes)
            try:
                await self._preflight(run)
                plan = self.planned()
                if self.fatal is not None:
                    results = self._unreachable(plan)
                else:
                    results = await self._judge_within(run, plan, deadline)
                    try:  # a probe still running past the deadline gives no verdict
                        async with asyncio.timeout(max(deadline.remaining(), 0) + DEADLINE_GRACE_S):
                            self.compatibility = await self._compatibility(run, plan)
                    except TimeoutError:
                        log.info("no compatibility verdicts: %s", deadline.passed_message)
            finally:
                await run.close()
                await self.budget.close()
        for result in results:
            self.results[(result.check, result.profile)] = result
        self.spec_revision = run.spec_revision

    async def _preflight(self, run: Run) -> None:
        """Reach the target once; if it is unreachable every result would be an error.
        First of all: whether kept-alive connections stay in sync (else all are fresh)."""
        await guard_connections(run)
        try:
            await run.need(ResourceDiscovery)
        except TargetError as exc:
            self.fatal = f"target unreachable: {exc}"
            self._fatal_exchanges = exc.exchanges or run.recent_exchanges(ResourceDiscovery)
        except Exception:  # the discovery checks will report it as `error`
            log.debug("discovery failed", exc_info=True)

    def _unreachable(self, plan: list[tuple[AnyCheck, str | None]]) -> list[Result]:
        """Every check needs the MCP endpoint: when its first request failed, none is run (a
        stalled target must not cost each check a timeout), and each is `error` saying why."""
        message = f"not run: {self.fatal}"
        results = []
        for check, profile in plan:
            result = check.result(
                Verdict.ERROR, message, profile=profile, exchanges=self._fatal_exchanges
            )
            if self.on_result is not None:
                self.on_result(result)
            results.append(result)
        return results

    async def _judge_within(
        self, run: Run, plan: list[tuple[AnyCheck, str | None]], deadline: Deadline
    ) -> list[Result]:
        """Judge every check concurrently, in `plan` order; a check still running when the run's
        deadline passed is `error` (requests end at the deadline by themselves; the grace lets
        their errors come back, and ends anything waiting on something other than HTTP)."""

        async def one(check: AnyCheck, profile: str | None) -> Result:
            result = await judge(run, check, profile)
            if self.on_result is not None:
                self.on_result(result)
            return result

        tasks = [asyncio.ensure_future(one(check, profile)) for check, profile in plan]
        if not tasks:
            return []
        await asyncio.wait(tasks, timeout=max(deadline.remaining(), 0.0) + DEADLINE_GRACE_S)
        results = []
        for task, (check, profile) in zip(tasks, plan, strict=True):
            if task.done() and not task.cancelled():
                results.append(task.result())
                continue
            task.cancel()
            result = check.result(
                Verdict.ERROR,
                f"{deadline.passed_message} before this check finished",
                profile=profile,
                exchanges=run.recent_exchanges(check.evidence, profile),
            )
            if self.on_result is not None:
                self.on_result(result)
            results.append(result)
        await asyncio.gather(*tasks, return_exceptions=True)
        return results

    async def _compatibility(
        self, run: Run, plan: list[tuple[AnyCheck, str | None]]
    ) -> tuple[Compatibility, ...]:
        """A verdict for each profile whose every scenario was judged in this session."""
        kinds = {c.evidence for c in ALL_CHECKS if c.per_profile}
        judged = {(c.evidence, p) for c, p in plan}
        entries = []
        for name in self.profiles:
            if any((kind, name) not in judged for kind in kinds):
                continue
            journeys = await _gather(run, name)
            if journeys is not None:
                entries.append(compatibility(name, journeys))
        return tuple(entries)

    def result(self, check_id: str, profile: str | None = None) -> Result:
        try:
            return self.results[(check_id, profile)]
        except KeyError:
            check = next(c for c in ALL_CHECKS if c.id == check_id)
            return check.result(Verdict.ERROR, "the check was not run in this session")

    def report(self, *, started_at: str, duration_s: float) -> Report:
        order = {(c.id, p): i for i, (c, p) in enumerate(self.planned())}
        results = sorted(self.results.values(), key=lambda r: order.get((r.check, r.profile), 0))
        extra: dict[str, object] = {"budget": self.budget.to_json()}
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
            compatibility=self.compatibility,
            extra=extra,
        )


async def _gather(run: Run, profile: str) -> list[Journey] | None:
    """The profile's scenario evidence (already gathered by the checks). None when a scenario
    could not be observed: its check reports the `error`, and no verdict is claimed."""
    journeys: list[Journey] = []
    for kind in SCENARIO_EVIDENCE:
        try:
            journeys.append(await run.need(kind, profile))
        except NotApplicable:
            continue
        except Exception:  # reported by the scenario's own check as `error`
            log.info("no compatibility verdict for %s: %s could not be observed", profile, kind)
            return None
    return journeys
