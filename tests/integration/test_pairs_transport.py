"""Self-tests of the transport check: the correct server passes, the desync defect fails."""

from __future__ import annotations

import pytest

from harness.results import Verdict
from simulators.reference import Defect
from tests.integration.pairs import DefectCase, ids, run_check

DEFECT_CASES: list[DefectCase] = [
    ("http.connection-reuse", "connection-desync", Verdict.FAIL),
]


@pytest.mark.parametrize(("check_id", "defect", "expected"), DEFECT_CASES, ids=ids(DEFECT_CASES))
def test_defect_is_caught(check_id: str, defect: str, expected: Verdict) -> None:
    result = run_check(check_id, frozenset({Defect(defect)}))
    assert result.verdict is expected, result.message
    shown = [e["response"] for e in result.evidence if "response" in e]
    assert [r["status"] for r in shown] == [401, 400, 401, 400], "both connections are shown"
    assert "text/html" in result.message


def test_correct_server_passes() -> None:
    result = run_check("http.connection-reuse")
    assert result.verdict is Verdict.PASS, result.message
    assert "as the first" in result.message, "the connection was reused and stayed in sync"
