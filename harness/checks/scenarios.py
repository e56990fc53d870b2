"""scenario.*: whole client journeys, judged step by step."""

from __future__ import annotations

from harness.checks.base import check
from harness.errors import CheckFailed
from harness.probes.journey import Journey
from harness.results import Level, Severity


@check(
    "scenario.happy-path",
    level=Level.MUST,
    severity=Severity.HIGH,
    per_profile=True,
    refs=("MCP 2025-11-25 Authorization §Authorization Flow Steps",),
)
def happy_path(ev: Journey) -> str:
    """A spec-following client connects, calls a tool, refreshes and calls again."""
    for step in ev.steps:
        if step.outcome == "failed":
            raise CheckFailed(
                expected=f"{step.name} to succeed",
                actual=step.detail,
                evidence=step.exchanges,
                message=f"{step.name} failed: {step.detail}",
            )
    done = " → ".join(s.name if s.outcome == "ok" else f"({s.name}: {s.detail})" for s in ev.steps)
    return done


CHECKS = (happy_path,)
