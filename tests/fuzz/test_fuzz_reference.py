"""The fuzzer against the real reference server: each defect is found without being told which,
and the correct reference yields no failure (bounded example counts for CI)."""

from __future__ import annotations

import pytest

from harness.fuzz.runner import FuzzSettings, run_fuzz
from simulators.reference import ReferenceConfig, ReferenceServer, parse_defects

CASES = [
    ("authorize", "redirect-prefix-match", "redirect-registered-only"),
    ("authorize", "state-dropped", "state-echo"),
    ("authorize", "pkce-optional", "pkce-enforced"),
    ("token", "pkce-verifier-not-checked", "no-token-for-invalid"),
    ("authorize", "implicit-grant-accepted", "no-implicit"),
    ("authorize", "error-redirect-before-uri-check", "redirect-registered-only"),
    ("token", "token-error-not-json", "error-shape"),
    ("token", "redirect-uri-not-checked-at-token", "no-token-for-invalid"),
    ("bearer", "alg-none-accepted", "bearer-refused"),
    ("bearer", "invalid-token-bare-401", "bearer-error-shape"),
    ("bearer", "jwt-kid-path", "bearer-refused"),
    ("bearer", "jwt-header-jwk-trusted", "bearer-refused"),
    ("register", "dcr-javascript-redirect-accepted", "dcr-refuses-dangerous"),
    ("bearer", "signature-not-checked", "bearer-refused"),
    ("bearer", "garbage-token-500", "no-5xx"),
]


def _fuzz(defects: str, areas: tuple[str, ...], examples: int) -> list:  # type: ignore[type-arg]
    config = ReferenceConfig(defects=parse_defects([d for d in defects.split(",") if d]))
    with ReferenceServer(config) as server:
        options = FuzzSettings(areas=areas, max_examples=examples, seed=7, time_budget_s=60)
        return run_fuzz(server.mcp_url, options)


@pytest.mark.parametrize(("area", "defect", "prop"), CASES)
def test_defect_is_found(area: str, defect: str, prop: str) -> None:
    (outcome,) = _fuzz(defect, (area,), 200)
    found = {f.prop for f in outcome.failures}
    assert prop in found, (found, outcome.to_json())
    failure = next(f for f in outcome.failures if f.prop == prop)
    assert failure.curl
    assert failure.curl[-1].startswith("curl ")
    assert failure.seed == 7


def test_correct_reference_yields_no_failure() -> None:
    outcomes = _fuzz("", ("authorize", "token", "register", "bearer"), 200)
    for outcome in outcomes:
        assert outcome.skipped is None, outcome.to_json()
        assert not outcome.failures, [(f.prop, f.kind, f.message) for f in outcome.failures]
        assert outcome.examples > 0
