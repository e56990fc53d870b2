"""The lifecycle state machine against the real reference: each lifecycle defect is found (and
shrunk to the rules that show it), the seed drives the machine, and the correct reference
breaks no invariant (bounded for CI; bench/fuzz_found.py runs the default budget)."""

from __future__ import annotations

import pytest

from harness.fuzz.records import AreaOutcome
from harness.fuzz.runner import FuzzSettings, run_fuzz
from simulators.reference import ReferenceConfig, ReferenceServer, parse_defects


def _state(defects: list[str], seed: int = 3, examples: int = 40) -> AreaOutcome:
    with ReferenceServer(ReferenceConfig(defects=parse_defects(defects))) as server:
        options = FuzzSettings(areas=("state",), max_examples=examples, seed=seed, time_budget_s=30)
        (outcome,) = run_fuzz(server.mcp_url, options)
        return outcome


@pytest.mark.parametrize(
    ("defect", "prop"),
    [
        ("code-not-bound-to-client", "client-binding"),
        ("code-reusable", "code-once"),
        ("refresh-not-bound-to-client", "client-binding"),
        ("refresh-reuse-accepted", "refresh-rotation"),
        ("revoked-accepted", "revoked-dead"),
    ],
)
def test_lifecycle_defect_is_found(defect: str, prop: str) -> None:
    outcome = _state([defect])
    failure = next((f for f in outcome.failures if f.prop == prop), None)
    assert failure is not None, (outcome.to_json(), [f.prop for f in outcome.failures])
    assert isinstance(failure.input, dict)
    steps = failure.input["steps"]
    assert steps, failure.input
    assert all({"rule", "args"} <= set(step) for step in steps)
    assert failure.curl


def test_correct_reference_keeps_every_invariant() -> None:
    outcome = _state([])
    assert outcome.failures == []
    for prop in ("client-binding", "code-once", "scope-never-widens", "revoked-dead"):
        assert outcome.judged[prop] > 0, outcome.judged


def test_the_seed_drives_the_machine() -> None:
    """The same seed runs the same rules (the same judgements); another seed others."""
    runs = [_state([], seed=seed, examples=12).judged for seed in (5, 5, 6)]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
