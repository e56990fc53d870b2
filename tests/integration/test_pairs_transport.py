"""Self-tests of the transport check: the correct server passes, each framing defect fails."""

from __future__ import annotations

import pytest

from harness.results import Verdict
from simulators.reference import Defect
from tests.integration.pairs import DefectCase, ids, run_check

DEFECT_CASES: list[DefectCase] = [
    ("http.connection-reuse", "connection-desync", Verdict.FAIL),
    ("http.connection-reuse", "content-length-chars", Verdict.FAIL),
]
# what the evidence shows on each of the two connections: the first answer, then the repeat's
SHOWN = {
    "connection-desync": ("401", "400"),  # the unread body parsed as a request line
    "content-length-chars": ("401", "RemoteProtocolError"),  # leftover bytes before the reply
}


@pytest.mark.parametrize(("check_id", "defect", "expected"), DEFECT_CASES, ids=ids(DEFECT_CASES))
def test_defect_is_caught(check_id: str, defect: str, expected: Verdict) -> None:
    result = run_check(check_id, frozenset({Defect(defect)}))
    assert result.verdict is expected, result.message
    outcomes = [
        str(e["response"]["status"]) if "response" in e else str(e["error"])
        for e in result.evidence
    ]
    first, again = SHOWN[defect]
    assert len(outcomes) == 4, "both connections are shown"
    assert all(o.startswith(first) for o in outcomes[::2])
    assert all(again in o for o in outcomes[1::2])


def test_correct_server_passes() -> None:
    result = run_check("http.connection-reuse")
    assert result.verdict is Verdict.PASS, result.message
    assert "as the first" in result.message, "the connection was reused and stayed in sync"
