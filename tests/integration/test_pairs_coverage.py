"""Every check has its pair of self-tests, and the correct reference server passes them all."""

from __future__ import annotations

import importlib
import pkgutil

import tests.integration
from harness.checks import ALL_CHECKS
from harness.results import Verdict
from harness.session import BASELINE_PROFILE, HarnessSession
from tests.integration.pairs import DefectCase
from tests.integration.reference_full import full_reference


def all_defect_cases() -> list[DefectCase]:
    cases: list[DefectCase] = []
    for module in pkgutil.iter_modules(tests.integration.__path__):
        if module.name.startswith("test_pairs_"):
            imported = importlib.import_module(f"tests.integration.{module.name}")
            cases.extend(getattr(imported, "DEFECT_CASES", []))
    return cases


def test_every_check_has_a_failing_case() -> None:
    covered = {
        check_id for check_id, _, verdict in all_defect_cases() if verdict is not Verdict.PASS
    }
    missing = sorted({c.id for c in ALL_CHECKS} - covered)
    assert not missing, f"checks without a defect that makes them fail: {missing}"


def test_correct_server_passes_every_check() -> None:
    # configured as a real deployment would be, so the checks needing configuration run too
    with full_reference() as (server, config):
        session = HarnessSession(target_url=server.mcp_url, config=config)
        session.run()
    expected = {(c.id, BASELINE_PROFILE if c.per_profile else None) for c in ALL_CHECKS}
    assert set(session.results) == expected
    not_passing = {
        key: (r.verdict.value, r.message)
        for key, r in session.results.items()
        if r.verdict is not Verdict.PASS
    }
    # the baseline client refreshes, so the never-refreshing client's scenario is moot for it
    moot = not_passing.pop(("scenario.refresh-never", BASELINE_PROFILE), None)
    assert moot is not None
    assert moot[0] == "skip"
    assert "refreshes its tokens" in moot[1]
    assert not not_passing
