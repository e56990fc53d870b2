"""Self-tests of the discovery, bearer and happy-path checks against reference defects."""

from __future__ import annotations

import pytest

from harness.results import Verdict
from simulators.reference import Defect
from tests.integration.pairs import DefectCase, ids, run_check

DEFECT_CASES: list[DefectCase] = [
    ("disc.rs.challenge", "challenge-error-param", Verdict.WARN),
    ("disc.rs.challenge", "no-challenge", Verdict.FAIL),
    ("disc.rs.challenge-scope", "no-challenge-scope", Verdict.WARN),
    ("disc.prm.served", "prm-missing", Verdict.FAIL),
    ("disc.prm.resource-match", "prm-resource-mismatch", Verdict.FAIL),
    ("disc.prm.authorization-servers", "prm-no-authorization-servers", Verdict.FAIL),
    ("disc.prm.scopes-minimal", "prm-omnibus-scopes", Verdict.WARN),
    ("disc.as.metadata-served", "as-metadata-missing", Verdict.FAIL),
    ("disc.as.issuer-match", "as-issuer-mismatch", Verdict.FAIL),
    ("disc.as.required-fields", "as-missing-fields", Verdict.FAIL),
    ("disc.as.pkce-advertised", "as-no-pkce-advertised", Verdict.FAIL),
    ("disc.as.no-legacy-grants", "as-legacy-grants", Verdict.WARN),
    ("disc.clean-404", "html-200-fallback", Verdict.WARN),
    ("rs.no-token", "unauth-get-allowed", Verdict.FAIL),
    ("rs.garbage-token", "garbage-token-500", Verdict.FAIL),
    ("rs.invalid-token-challenge", "invalid-token-bare-401", Verdict.WARN),
    ("rs.expired", "expired-accepted", Verdict.FAIL),
    ("rs.query-token", "query-token-accepted", Verdict.FAIL),
    ("rs.wrong-scheme", "any-scheme-accepted", Verdict.FAIL),
    ("rs.scheme-case", "scheme-case-sensitive", Verdict.FAIL),
    ("rs.no-5xx", "garbage-token-500", Verdict.FAIL),
    ("scenario.happy-path", "as-no-pkce-advertised", Verdict.FAIL),
]


@pytest.mark.parametrize(("check_id", "defect", "expected"), DEFECT_CASES, ids=ids(DEFECT_CASES))
def test_defect_is_caught(check_id: str, defect: str, expected: Verdict) -> None:
    result = run_check(check_id, frozenset({Defect(defect)}))
    assert result.verdict is expected, result.message
