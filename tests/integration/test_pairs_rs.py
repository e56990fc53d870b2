"""Self-tests of the token-validation rs.* checks: each fails on its reference defect."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from harness.config import Config
from harness.report import render_all
from harness.results import Verdict
from harness.session import HarnessSession
from simulators.reference import ReferenceConfig
from tests.integration.pairs import DefectCase, ids
from tests.integration.reference_full import full_reference, run_full

DEFECT_CASES: list[DefectCase] = [
    # a JWT validated locally cannot see a revocation (RFC 7009 §2: a SHOULD): a warning
    ("rs.revoked", "revoked-accepted", Verdict.WARN),
    ("rs.wrong-audience", "audience-not-checked", Verdict.FAIL),
    ("rs.foreign-issuer", "foreign-issuer-accepted", Verdict.FAIL),
    ("rs.jwt.alg-none", "alg-none-accepted", Verdict.FAIL),
    ("rs.jwt.tampered", "signature-not-checked", Verdict.FAIL),
    ("rs.jwt.alg-confusion", "signature-not-checked", Verdict.FAIL),
    ("rs.jwt.header-key", "jwt-header-jwk-trusted", Verdict.FAIL),
    ("rs.jwt.header-key", "jwt-jku-followed", Verdict.FAIL),
    ("rs.jwt.header-key", "jwt-kid-path", Verdict.FAIL),
    ("rs.every-request", "session-authenticates", Verdict.FAIL),
    ("rs.origin", "origin-not-validated", Verdict.FAIL),
]

OPAQUE = ReferenceConfig(access_token_ttl=3, token_format="opaque")


@pytest.mark.parametrize(("check_id", "defect", "expected"), DEFECT_CASES, ids=ids(DEFECT_CASES))
def test_defect_is_caught(check_id: str, defect: str, expected: Verdict) -> None:
    result, _ = run_full(check_id, frozenset({defect}))
    assert result.verdict is expected, result.message


def test_revoked_opaque_token_still_accepted_fails() -> None:
    """An opaque token must be looked up at the authorization server: accepted once revoked, it
    is a MUST failure (the failing pair of rs.revoked)."""
    assert run_full("rs.revoked", reference=OPAQUE)[0].verdict is Verdict.PASS
    result, _ = run_full("rs.revoked", frozenset({"revoked-accepted"}), reference=OPAQUE)
    assert result.verdict is Verdict.FAIL, result.message
    assert "opaque" in result.message


def test_revoked_jwt_still_accepted_is_a_warning() -> None:
    result, _ = run_full("rs.revoked", frozenset({"revoked-accepted"}))
    assert result.verdict is Verdict.WARN, result.message
    assert "self-contained" in result.message


def test_wrong_audience_with_opaque_tokens_needs_a_known_audience() -> None:
    """An opaque token's audience is unknown: its acceptance proves no missing audience check
    (the AS may have ignored resource=), so it is a skip, never a failure."""
    assert run_full("rs.wrong-audience", reference=OPAQUE)[0].verdict is Verdict.PASS
    result, _ = run_full("rs.wrong-audience", frozenset({"audience-not-checked"}), reference=OPAQUE)
    assert result.verdict is Verdict.SKIP, result.message
    assert "audience" in result.message


JWT_CHECKS = ["rs.jwt.alg-none", "rs.jwt.tampered", "rs.jwt.alg-confusion", "rs.jwt.header-key"]


@pytest.mark.parametrize("check_id", JWT_CHECKS)
def test_jwt_checks_skip_for_opaque_tokens(check_id: str) -> None:
    result, _ = run_full(check_id, reference=OPAQUE)
    assert result.verdict is Verdict.SKIP
    assert "opaque" in result.message


def test_foreign_issuer_is_judged_for_opaque_tokens() -> None:
    assert run_full("rs.foreign-issuer", reference=OPAQUE)[0].verdict is Verdict.PASS


def _no_other_resource(config: Config) -> Config:
    return replace(config, other_resource=None)


@pytest.mark.parametrize("defect", ["", "audience-not-checked"])
def test_wrong_audience_skips_without_another_resource(defect: str) -> None:
    """The made-up resource is refused (invalid_target): no token, no judgement of the MCP
    server, whatever its audience check."""
    names = frozenset({defect} - {""})
    result, _ = run_full("rs.wrong-audience", names, configure=_no_other_resource)
    assert result.verdict is Verdict.SKIP
    assert "invalid_target" in result.message
    assert "[target].other_resource" in result.message


def test_made_up_resource_token_is_refused_when_the_as_honours_it() -> None:
    result, _ = run_full(
        "rs.wrong-audience", frozenset({"resource-unknown-accepted"}), configure=_no_other_resource
    )
    assert result.verdict is Verdict.PASS, result.message
    assert "https://mcp.invalid/other" in result.message


def test_made_up_resource_token_accepted_fails_without_another_resource() -> None:
    """The aud names only the made-up resource: the MCP server accepting it skips the audience
    check, proven without [target].other_resource."""
    names = frozenset({"resource-unknown-accepted", "audience-not-checked"})
    result, _ = run_full("rs.wrong-audience", names, configure=_no_other_resource)
    assert result.verdict is Verdict.FAIL, result.message
    assert "aud ['https://mcp.invalid/other']" in result.message
    assert result.evidence


@pytest.mark.parametrize(
    ("defects", "reference", "shown"),
    [
        ({"resource-ignored", "audience-not-checked"}, None, "names this resource"),
        ({"resource-unknown-accepted", "audience-not-checked"}, OPAQUE, "cannot be read"),
    ],
)
def test_made_up_resource_without_a_foreign_aud_skips(
    defects: set[str], reference: ReferenceConfig | None, shown: str
) -> None:
    result, _ = run_full(
        "rs.wrong-audience", frozenset(defects), reference=reference, configure=_no_other_resource
    )
    assert result.verdict is Verdict.SKIP, result.message
    assert shown in result.message
    assert "[target].other_resource" in result.message


def test_wrong_audience_is_not_blamed_on_the_resource_when_the_as_ignores_resource() -> None:
    result, _ = run_full("rs.wrong-audience", frozenset({"resource-ignored"}))
    assert result.verdict is Verdict.SKIP
    assert "token.resource-audience" in result.message


@pytest.mark.parametrize("defect", ["", "session-authenticates"])
def test_every_request_on_the_stateless_revision(defect: str) -> None:
    """Without sessions the follow-ups still need the token; a session defect changes nothing."""
    result, _ = run_full("rs.every-request", frozenset({defect} - {""}), spec="2026-07-28")
    assert result.verdict is Verdict.PASS, result.message
    assert "issues no session id" in result.message


def test_forged_tokens_never_appear_in_results() -> None:
    result, _ = run_full("rs.jwt.alg-none", frozenset({"alg-none-accepted"}))
    assert result.verdict is Verdict.FAIL
    shown = repr(result.to_json())
    assert "eyJ" not in shown, "every token, forged or not, is fingerprinted"


def test_a_fully_configured_run_writes_no_secret(tmp_path: Path) -> None:
    """Forged, narrow, second-user and canary-watched tokens are all fingerprinted."""
    with full_reference(frozenset({"alg-none-accepted", "token-passthrough"})) as (server, config):
        session = HarnessSession(target_url=server.mcp_url, config=config)
        session.run()
    written = render_all(
        session.report(started_at="2026-11-27T00:00:00Z", duration_s=1.0), tmp_path
    )
    secrets = session.vault.known()
    for path in written.values():
        text = Path(path).read_text(encoding="utf-8")
        leaked = [s[:4] + "…" for s in secrets if s in text]
        assert not leaked, f"{path.name} contains secrets starting {leaked}"
        assert not re.search(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ", text), f"a JWT in {path.name}"


@pytest.mark.parametrize(
    ("defect", "sub_case"),
    [
        ("jwt-header-jwk-trusted", "jwk: RS256"),
        ("jwt-jku-followed", "the server fetched GET http://127.0.0.1:"),
        ("jwt-kid-path", "kid: ../../../../../../dev/null"),
    ],
)
def test_header_key_failure_names_the_sub_case(defect: str, sub_case: str) -> None:
    result, _ = run_full("rs.jwt.header-key", frozenset({defect}))
    assert result.verdict is Verdict.FAIL
    assert sub_case in result.message
    assert result.evidence, "the accepted forgeries' exchanges are the evidence"


def test_header_key_passes_on_the_correct_reference() -> None:
    result, _ = run_full("rs.jwt.header-key")
    assert result.verdict is Verdict.PASS, result.message
    assert "8 refused (401)" in result.message
    assert "no jku / x5u URL fetched" in result.message


@pytest.mark.parametrize("defect", ["jwt-header-jwk-trusted", "jwt-jku-followed", "jwt-kid-path"])
def test_header_key_defects_change_no_other_forgery_verdict(defect: str) -> None:
    """Each header-key defect trusts only a key named by the token: the other forged-token
    checks (same probe, same server) still pass."""
    with full_reference(frozenset({defect})) as (server, config):
        neighbours = ("rs.jwt.alg-none", "rs.jwt.tampered", "rs.jwt.alg-confusion")
        selected = frozenset((c, None) for c in (*neighbours, "rs.foreign-issuer"))
        session = HarnessSession(target_url=server.mcp_url, config=config, selected=selected)
        session.run()
    for check_id, _ in selected:
        result = session.result(check_id, None)
        assert result.verdict is Verdict.PASS, f"{check_id}: {result.message}"
