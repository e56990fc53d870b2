"""Every check, against the correct reference server (pass) and against its defect (not pass).

Each case starts a real reference server on a free loopback port with one defect switched on and
runs only the check under test, through the same session the CLI and the pytest plugin use.
"""

from __future__ import annotations

import pytest

from harness.checks import ALL_CHECKS
from harness.config import Config, TokenHints
from harness.results import Verdict
from harness.session import BASELINE_PROFILE, HarnessSession
from simulators.reference import Defect, ReferenceConfig, ReferenceServer

# check id -> (defect, the verdict that defect must produce)
DEFECT_CASES: list[tuple[str, str, Verdict]] = [
    ("disc.rs.challenge", "challenge-error-param", Verdict.FAIL),
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
    ("disc.clean-404", "html-200-fallback", Verdict.FAIL),
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

# Short lifetimes keep rs.expired quick: 3 s tokens, 1 s leeway.
FAST_EXPIRY = Config(tokens=TokenHints(max_expiry_wait_s=10, expiry_leeway_s=1))


def run_check(check_id: str, defects: frozenset[Defect]) -> Verdict:
    check = next(c for c in ALL_CHECKS if c.id == check_id)
    profile = BASELINE_PROFILE if check.per_profile else None
    with ReferenceServer(ReferenceConfig(defects=defects, access_token_ttl=3)) as server:
        session = HarnessSession(
            target_url=server.mcp_url, config=FAST_EXPIRY, selected=frozenset({(check_id, profile)})
        )
        session.run()
    result = session.result(check_id, profile)
    assert result.message, "every verdict explains itself"
    return result.verdict


def test_every_check_has_a_defect_case() -> None:
    covered = {check_id for check_id, _, _ in DEFECT_CASES}
    assert covered == {c.id for c in ALL_CHECKS}


@pytest.mark.parametrize(
    ("check_id", "defect", "expected"), DEFECT_CASES, ids=[f"{c}-{d}" for c, d, _ in DEFECT_CASES]
)
def test_defect_makes_the_check_fail(check_id: str, defect: str, expected: Verdict) -> None:
    assert run_check(check_id, frozenset({Defect(defect)})) is expected


def test_correct_server_passes_every_check() -> None:
    with ReferenceServer(ReferenceConfig(access_token_ttl=3)) as server:
        session = HarnessSession(target_url=server.mcp_url, config=FAST_EXPIRY)
        session.run()
    verdicts = {key: r.verdict for key, r in session.results.items()}
    assert set(verdicts) == {
        (c.id, BASELINE_PROFILE if c.per_profile else None) for c in ALL_CHECKS
    }
    not_passing = {
        k: (r.verdict, r.message)
        for k, r in session.results.items()
        if r.verdict is not Verdict.PASS
    }
    assert not not_passing
