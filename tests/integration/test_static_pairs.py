"""The resource-server, scope, session and misuse pair tests in the static login mode.

The tokens are obtained out of band (`static_tokens.py`); the harness gets only a static
configuration. Every case runs against the reference as it is and against a variant that serves
no protected resource metadata (`prm-missing`), where the resource comes from the target URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pytest

from harness.checks import BY_ID
from harness.config import Config, LoginConfig
from harness.results import Result, Verdict
from harness.session import HarnessSession
from simulators.reference import ReferenceConfig, ReferenceServer
from tests.integration import test_pairs_foundation, test_pairs_rs, test_pairs_scope_sessions_misuse
from tests.integration.pairs import DefectCase
from tests.integration.reference_full import full_reference
from tests.integration.static_tokens import OutOfBand, obtain, static_config

# what needs an OAuth flow of its own: a token to revoke, a token for the challenged scope
NEEDS_FLOW = frozenset({"rs.revoked", "scope.challenge-complete"})
STATIC_CHECKS = tuple(
    c.id
    for c in BY_ID.values()
    if c.id.split(".")[0] in {"rs", "scope", "sess", "misuse"} and c.id not in NEEDS_FLOW
)
CASES: list[DefectCase] = [
    case
    for module in (test_pairs_foundation, test_pairs_rs, test_pairs_scope_sessions_misuse)
    for case in module.DEFECT_CASES
    if case[0] in STATIC_CHECKS
]
LONG_TTL = ReferenceConfig(access_token_ttl=300)  # outlives the run: no token lapses under it
SHORT_TTL = ReferenceConfig(access_token_ttl=3)  # rs.expired waits for its exp
# without PRM the challenges cannot name resource_metadata: true findings of that defect alone,
# and no AS metadata names a jwks_uri whose key could be confused
NO_PRM_FINDINGS = {
    "rs.invalid-token-challenge": Verdict.WARN,
    "scope.insufficient-403": Verdict.WARN,
    "rs.jwt.alg-confusion": Verdict.SKIP,
}
VARIANTS = {"prm": frozenset[str](), "no-prm": frozenset({"prm-missing"})}


@contextmanager
def static_reference(
    names: frozenset[str], reference: ReferenceConfig = LONG_TTL
) -> Iterator[tuple[ReferenceServer, Config, OutOfBand]]:
    with full_reference(names, reference=reference) as (server, full):
        tokens = obtain(server)
        yield server, static_config(full, tokens), tokens


def run_static(
    check_ids: tuple[str, ...],
    names: frozenset[str],
    *,
    reference: ReferenceConfig = LONG_TTL,
) -> dict[str, Result]:
    """Judge `check_ids` in one static-mode session against a reference with `names` on."""
    with static_reference(names, reference) as (server, config, _):
        session = HarnessSession(
            target_url=server.mcp_url,
            config=config,
            selected=frozenset((c, None) for c in check_ids),
        )
        session.run()
    assert config.login.mode == "static"
    return {c: session.result(c) for c in check_ids}


def _grouped() -> list[tuple[str, tuple[DefectCase, ...]]]:
    """One session per defect; the agent apart (a deletion by scope.* would change its view)."""
    keys = sorted({(d, c.startswith("misuse.")) for c, d, _ in CASES})
    return [
        (
            f"{d}{'-agent' if agent else ''}",
            tuple(c for c in CASES if (c[1], c[0].startswith("misuse.")) == (d, agent)),
        )
        for d, agent in keys
    ]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("defect", "cases"), _grouped(), ids=[d for d, _ in _grouped()])
def test_static_defect_is_caught(variant: str, defect: str, cases: tuple[DefectCase, ...]) -> None:
    del defect  # the group's name; the cases name the defect
    reference = SHORT_TTL if cases[0][1] == "expired-accepted" else LONG_TTL
    results = run_static(
        tuple(c for c, _, _ in cases), VARIANTS[variant] | {cases[0][1]}, reference=reference
    )
    for check_id, _, expected in cases:
        if variant == "no-prm" and NO_PRM_FINDINGS.get(check_id) is Verdict.SKIP:
            expected = Verdict.SKIP
        result = results[check_id]
        assert result.verdict is expected, f"{check_id}: {result.message}"


@pytest.mark.parametrize("variant", VARIANTS)
def test_static_correct_server_passes(variant: str) -> None:
    """Every bearer-only check runs with the static token and passes on the correct server."""
    checks = tuple(c for c in STATIC_CHECKS if c != "rs.expired")
    results = run_static(checks, VARIANTS[variant])
    for check_id, result in results.items():
        expected = Verdict.PASS
        if variant == "no-prm":
            expected = NO_PRM_FINDINGS.get(check_id, Verdict.PASS)
        assert result.verdict is expected, f"{check_id}: {result.message}"


@pytest.mark.parametrize("variant", VARIANTS)
def test_static_expiry_waits_for_the_jwt_exp(variant: str) -> None:
    result = run_static(("rs.expired",), VARIANTS[variant], reference=SHORT_TTL)["rs.expired"]
    assert result.verdict is Verdict.PASS, result.message
    assert "JWT exp" in result.message


def test_missing_prm_is_reported_once_in_discovery() -> None:
    """Without PRM, disc.prm.served fails; nothing that needs only a bearer skips for it."""
    checks = ("disc.prm.served", "rs.scheme-case", "sess.not-auth", "misuse.scope-escalation")
    results = run_static(checks, VARIANTS["no-prm"])
    assert results["disc.prm.served"].verdict is Verdict.FAIL
    for check_id in checks[1:]:
        assert results[check_id].verdict is Verdict.PASS, results[check_id].message
        assert "protected resource metadata" not in results[check_id].message


@pytest.mark.parametrize(
    "check_id", ["refresh.works", "pkce.required", "token.code-single-use", "rs.revoked"]
)
def test_checks_that_need_an_oauth_flow_skip_naming_the_mode(check_id: str) -> None:
    result = run_static((check_id,), frozenset())[check_id]
    assert result.verdict is Verdict.SKIP
    assert "[login].mode is static" in result.message


def test_profile_journeys_skip_naming_the_mode() -> None:
    with static_reference(frozenset()) as (server, config, _):
        session = HarnessSession(
            target_url=server.mcp_url,
            config=config,
            selected=frozenset({("scenario.happy-path", "spec-2025-11-25")}),
        )
        session.run()
    result = session.result("scenario.happy-path", "spec-2025-11-25")
    assert result.verdict is Verdict.SKIP
    assert "[login].mode is static" in result.message


def _only_main_token(config: Config) -> Config:
    """A static configuration with nothing but the access token."""
    login = LoginConfig(mode="static", access_token=config.login.access_token)
    return replace(config, login=login, client=None)


@pytest.mark.parametrize(
    ("check_id", "key"),
    [
        ("sess.user-binding", "[login.second_user].access_token"),
        ("rs.wrong-audience", "[login].other_resource_token"),
        ("scope.not-executed", "[login].narrow_token"),
        ("sess.survives-refresh", "[login].refresh_token"),
    ],
)
def test_skips_name_the_static_key(check_id: str, key: str) -> None:
    with static_reference(frozenset()) as (server, config, _):
        session = HarnessSession(
            target_url=server.mcp_url,
            config=_only_main_token(config),
            selected=frozenset({(check_id, None)}),
        )
        session.run()
    result = session.result(check_id)
    assert result.verdict is Verdict.SKIP, result.message
    assert key in result.message
