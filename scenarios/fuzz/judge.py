"""One fuzz area as one pytest item: fail with each broken MUST's shrunk input and redacted curl
chain, warn for a broken SHOULD, skip when nothing was exercised."""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass

import pytest

from harness.fuzz.context import FuzzContext
from harness.fuzz.records import AreaOutcome
from harness.fuzz.runner import FuzzSettings, run_area
from harness.results import Verdict


@dataclass(frozen=True, slots=True)
class FuzzTarget:
    """The shared context (discovery and a client, done once), or why none could be had."""

    context: FuzzContext | None
    options: FuzzSettings
    profile: str  # the hypothesis settings profile the bounds came from
    unavailable: str | None = None


def fuzz_item(target: FuzzTarget, area: str) -> None:
    if target.context is None:
        pytest.skip(f"the harness cannot fuzz this target: {target.unavailable}")
    outcome = run_area(target.context, area, target.options, lambda: None)
    verdicts = {r.check: r for r in outcome.results()}
    broken = [r for r in verdicts.values() if r.verdict in {Verdict.FAIL, Verdict.ERROR}]
    for result in verdicts.values():
        if result.verdict is Verdict.WARN:
            warnings.warn(f"{result.check}: {result.message}", UserWarning, stacklevel=1)
    if broken:
        pytest.fail(_failure_text(outcome, {r.check for r in broken}, target), pytrace=False)
    if all(r.verdict is Verdict.SKIP for r in verdicts.values()):
        pytest.skip(outcome.skipped or f"no {area} example exercised any property")


def _failure_text(outcome: AreaOutcome, checks: set[str], target: FuzzTarget) -> str:
    options = target.options
    lines = [
        f"fuzz {outcome.area}: seed {options.seed}, profile {target.profile} (max_examples "
        f"{options.max_examples}, {options.time_budget_s:g} s), {outcome.examples} examples"
    ]
    if outcome.error:
        lines.append(f"[error] {outcome.error}")
    for failure in outcome.failures:
        if failure.check not in checks:
            continue
        lines.append(f"[fail] {failure.check} [{failure.kind}]: {failure.message}")
        lines.append(f"  shrunk input: {json.dumps(failure.input, ensure_ascii=False)}")
        lines.extend(f"  {command}" for command in failure.curl)
    return "\n".join(lines)
