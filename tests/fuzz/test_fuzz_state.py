"""The lifecycle state machine against the real reference: a code bound to no client is found,
and the correct reference breaks no invariant (bounded for CI)."""

from __future__ import annotations

from harness.fuzz.runner import FuzzSettings, run_fuzz
from simulators.reference import ReferenceConfig, ReferenceServer, parse_defects


def _state(defects: list[str]) -> list:  # type: ignore[type-arg]
    with ReferenceServer(ReferenceConfig(defects=parse_defects(defects))) as server:
        options = FuzzSettings(areas=("state",), max_examples=40, seed=3, time_budget_s=40)
        return run_fuzz(server.mcp_url, options)


def test_code_not_bound_to_client_is_found() -> None:
    (outcome,) = _state(["code-not-bound-to-client"])
    assert "client-binding" in {f.prop for f in outcome.failures}


def test_correct_reference_keeps_every_invariant() -> None:
    (outcome,) = _state([])
    assert outcome.failures == []
    assert outcome.judged["client-binding"] > 0
    assert outcome.judged["code-once"] > 0
