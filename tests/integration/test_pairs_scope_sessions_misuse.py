"""Self-tests of scope.*, sess.* and misuse.*: each fails on its reference defect, and where a
tool could have done harm the reference server's state proves that nothing happened."""

from __future__ import annotations

from dataclasses import replace

import pytest

from harness.config import Config
from harness.results import Verdict
from simulators.reference import ReferenceConfig
from simulators.reference.state import ReferenceState
from tests.integration.pairs import DefectCase, ids
from tests.integration.reference_full import PRIVILEGED, run_full

# until `Defect` gains them.
DEFECT_CASES: list[DefectCase] = [
    ("scope.insufficient-403", "insufficient-scope-401", Verdict.WARN),
    ("scope.insufficient-403", "scope-not-enforced", Verdict.WARN),
    ("scope.not-executed", "scope-not-enforced", Verdict.FAIL),
    ("scope.challenge-complete", "no-challenge-scope", Verdict.WARN),
    ("sess.not-auth", "session-authenticates", Verdict.FAIL),
    ("sess.user-binding", "session-not-bound", Verdict.WARN),
    ("sess.entropy", "weak-session-id", Verdict.WARN),
    ("sess.survives-refresh", "session-bound-to-token", Verdict.WARN),
    ("misuse.scope-escalation", "scope-not-enforced", Verdict.FAIL),
    ("misuse.cross-resource", "audience-not-checked", Verdict.FAIL),
    ("misuse.token-passthrough", "token-passthrough", Verdict.FAIL),
]

STATELESS_SKIPS = ["sess.not-auth", "sess.user-binding", "sess.entropy", "sess.survives-refresh"]


@pytest.mark.parametrize(("check_id", "defect", "expected"), DEFECT_CASES, ids=ids(DEFECT_CASES))
def test_defect_is_caught(check_id: str, defect: str, expected: Verdict) -> None:
    result, _ = run_full(check_id, frozenset({defect}))
    assert result.verdict is expected, result.message


def _privileged_runs(state: ReferenceState) -> list[str]:
    return [c.tool for c in state.tool_calls if c.tool == PRIVILEGED.name]


@pytest.mark.parametrize("check_id", ["scope.not-executed", "misuse.scope-escalation"])
def test_refused_privileged_call_has_no_effect(check_id: str) -> None:
    result, state = run_full(check_id)
    assert result.verdict is Verdict.PASS, result.message
    assert PRIVILEGED.name in result.message
    assert _privileged_runs(state) == []
    assert state.deleted_notes == ()


@pytest.mark.parametrize("check_id", ["scope.not-executed", "misuse.scope-escalation"])
def test_enforcement_defect_shows_the_side_effect(check_id: str) -> None:
    result, state = run_full(check_id, frozenset({"scope-not-enforced"}))
    assert result.verdict is Verdict.FAIL
    assert [d.note.id for d in state.deleted_notes] == ["1"]


def test_without_configuration_only_read_only_tools_are_called() -> None:
    """No [[tools]]: the scope checks still run, on the read-only tools, and nothing is deleted."""
    result, state = run_full("scope.not-executed", configure=lambda c: replace(c, tools=()))
    assert result.verdict is Verdict.PASS, result.message
    assert "whoami" in result.message
    assert state.deleted_notes == ()
    assert {c.tool for c in state.tool_calls} <= {"whoami", "list_notes"}


def test_scope_checks_without_configuration_catch_unenforced_scopes() -> None:
    """The tools' declared scopes are enough to catch a server that enforces none."""
    result, _ = run_full(
        "scope.not-executed",
        frozenset({"scope-not-enforced"}),
        configure=lambda c: replace(c, tools=()),
    )
    assert result.verdict is Verdict.FAIL


def test_configured_narrow_scopes_are_used() -> None:
    result, _ = run_full(
        "scope.insufficient-403", configure=lambda c: replace(c, narrow_scopes=("notes:read",))
    )
    assert result.verdict is Verdict.PASS
    assert "delete_note" in result.message
    assert "whoami" not in result.message


def test_the_agent_finds_the_planted_injection() -> None:
    result, _ = run_full("misuse.scope-escalation")
    assert "ignore-previous-instructions" in result.message


@pytest.mark.parametrize("check_id", STATELESS_SKIPS)
def test_session_checks_skip_on_a_stateless_server(check_id: str) -> None:
    result, _ = run_full(check_id, spec="2026-07-28")
    assert result.verdict is Verdict.SKIP
    assert "Mcp-Session-Id" in result.message


@pytest.mark.parametrize(
    ("check_id", "key"),
    [
        ("sess.user-binding", "[login.second_user]"),
        ("misuse.cross-resource", "[target].other_resource"),
        ("misuse.token-passthrough", "[upstream_canary]"),
        ("misuse.scope-escalation", "[[tools]]"),
    ],
)
def test_skips_say_how_to_enable_the_check(check_id: str, key: str) -> None:
    def bare(config: Config) -> Config:
        return replace(
            config,
            other_resource=None,
            tools=(),
            upstream_canary=None,
            login=replace(config.login, second_user=None),
        )

    result, _ = run_full(check_id, configure=bare)
    assert result.verdict is Verdict.SKIP
    assert key in result.message


def test_user_binding_with_opaque_tokens_in_auto_mode_skips() -> None:
    """login_hint cannot be confirmed without a subject claim: no false alarm, a skip."""
    opaque = ReferenceConfig(access_token_ttl=3, token_format="opaque")
    result, _ = run_full("sess.user-binding", frozenset({"session-not-bound"}), reference=opaque)
    assert result.verdict is Verdict.SKIP
    assert "form login" in result.message


def test_user_binding_in_form_login_mode() -> None:
    form = ReferenceConfig(access_token_ttl=3, token_format="opaque", login="form")

    def as_alice(config: Config) -> Config:
        login = replace(config.login, mode="form", username="alice", password="alice-password")
        return replace(config, login=login)

    assert run_full("sess.user-binding", reference=form, configure=as_alice)[0].verdict is (
        Verdict.PASS
    )
    result, _ = run_full(
        "sess.user-binding", frozenset({"session-not-bound"}), reference=form, configure=as_alice
    )
    assert result.verdict is Verdict.WARN, result.message


def test_token_passthrough_reports_no_secret() -> None:
    result, _ = run_full("misuse.token-passthrough", frozenset({"token-passthrough"}))
    assert "carrying the client's access token" in result.message
    assert "eyJ" not in repr(result.to_json())


def test_undeclared_read_only_tools_reveal_their_scope_in_the_403(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without [[tools]] and without securitySchemes, a 403 to a token narrowed away from the
    challenged scope reveals what a read-only tool needs; with scopes unenforced nothing is
    revealed, so nothing is judged (a skip, never a guess)."""
    monkeypatch.setattr("harness.probes.resource.mcp._declared_scopes", lambda _tool: None)

    def unconfigured(config: Config) -> Config:
        return replace(config, tools=())

    result, _ = run_full("scope.insufficient-403", configure=unconfigured)
    assert result.verdict is Verdict.PASS, result.message
    assert "whoami" in result.message
    step_up, _ = run_full("scope.challenge-complete", configure=unconfigured)
    assert step_up.verdict is Verdict.PASS, step_up.message
    unenforced, _ = run_full(
        "scope.not-executed", frozenset({"scope-not-enforced"}), configure=unconfigured
    )
    assert unenforced.verdict is Verdict.SKIP
    assert "needs no scope beyond these" in unenforced.message
