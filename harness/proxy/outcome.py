"""The report of one proxy run: the passive checks' verdicts and an `extra["proxy"]` section."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from harness import __version__
from harness.exchange import Exchange
from harness.proxy.passive import judge_observed
from harness.results import Report


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFacts:
    upstream: str | None  # None in forward (regular) mode
    listen: tuple[str, ...]
    mode: str
    control_url: str | None
    as_profile: str | None
    started_at: str
    duration_s: float
    seed: int


def build_report(
    facts: RunFacts,
    exchanges: Sequence[Exchange],
    faults: list[dict[str, object]],
    *,
    faulted: Collection[int] = (),
    replay: dict[str, object] | None = None,
    unrecorded: int = 0,
) -> Report:
    """`unrecorded`: flows past the capture bounds; the passive verdicts do not cover them."""
    results, compatibility = judge_observed(exchanges, faulted=faulted)
    statuses = Counter(str(e.response.status) for e in exchanges if e.response is not None)
    section: dict[str, object] = {
        "upstream": facts.upstream,
        "listen": list(facts.listen),
        "mode": facts.mode,
        "control_url": facts.control_url,
        "as_profile": facts.as_profile,
        **({"replay": replay} if replay is not None else {}),
        "faults": faults,
        "counts": {
            "flows": len(exchanges),
            "unrecorded_flows": unrecorded,
            "transport_errors": sum(1 for e in exchanges if e.response is None),
            "by_status": dict(sorted(statuses.items())),
            "faults_fired": sum(int(str(f.get("fired", 0))) for f in faults),
        },
        "exchanges": [e.to_json() for e in exchanges[:MAX_REPORTED]],
    }
    return Report(
        tool_version=__version__,
        target_url=facts.upstream or "forward proxy",
        spec_revision=None,
        started_at=facts.started_at,
        duration_s=facts.duration_s,
        seed=facts.seed,
        results=tuple(results),
        compatibility=tuple(compatibility),
        extra={"proxy": section},
    )


MAX_REPORTED = 500  # exchanges kept in report.json (the counts cover all of them)
