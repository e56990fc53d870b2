"""Self-tests of the authorization-server checks (reg, authz, pkce, token, refresh).

Each case switches on one reference defect and expects its check's verdict; the correct server
passing every check is `test_pairs_coverage.py`'s job. The skip cases prove that a missing
capability is reported as such, with a reason, instead of as a pass or a finding.
"""

from __future__ import annotations

import pytest

from harness.config import ClientConfig, Config, LoginConfig, TokenHints
from harness.results import Verdict
from harness.session import HarnessSession
from simulators.reference import USERS, Defect, ReferenceConfig, ReferenceServer
from tests.integration.pairs import FAST_TTL_S, DefectCase, ids, run_check

F, W, P = Verdict.FAIL, Verdict.WARN, Verdict.PASS
# A short bound for refresh-token grace windows keeps the "no reuse detection" case quick.
FAST_GRACE = Config(
    tokens=TokenHints(max_expiry_wait_s=10, expiry_leeway_s=1, max_refresh_grace_s=2)
)

DEFECT_CASES: list[DefectCase] = [
    ("reg.dcr.accepts-valid", "dcr-loopback-refused", F),
    ("reg.dcr.rejects-bad-redirect", "dcr-javascript-redirect-accepted", F),
    ("reg.dcr.echo-auth-method", "dcr-auth-method-not-echoed", F),
    # the TypeScript SDK demo AS: asked for no method, it issues a secret and names none
    ("reg.dcr.echo-auth-method", "dcr-default-auth-method-not-echoed", F),
    ("reg.cimd.validates", "cimd-client-id-not-checked", F),
    ("authz.redirect.exact", "redirect-prefix-match", F),
    ("authz.redirect.exact", "error-redirect-unregistered", F),
    ("authz.redirect.loopback-port", "exact-loopback-port", F),
    ("authz.state.echo", "state-dropped", F),
    ("authz.iss", "authz-iss-missing", F),
    ("authz.error-redirect-safe", "error-redirect-unregistered", F),
    # the ordering bug: scope, response type and PKCE errors go to the unchecked redirect URI …
    ("authz.error-redirect-safe", "error-redirect-before-uri-check", F),
    # … while an unregistered redirect URI alone is still refused
    ("authz.redirect.exact", "error-redirect-before-uri-check", P),
    # auto login: the 307 answers a GET, so no credentials are re-sent (RFC 9700 §4.12: SHOULD);
    # the form-login case below answers the consent POST with it (a MUST failure)
    ("authz.redirect-status", "authz-307", W),
    ("authz.no-implicit", "implicit-grant-accepted", F),
    ("pkce.required", "pkce-optional", F),
    ("pkce.plain-rejected", "pkce-plain-accepted", F),
    ("pkce.verifier-checked", "pkce-verifier-not-checked", F),
    ("pkce.verifier-missing", "pkce-verifier-not-checked", F),
    ("pkce.downgrade", "pkce-downgrade", F),
    ("pkce.downgrade", "pkce-optional", P),  # optional PKCE, but a verifier is still refused
    ("token.code-single-use", "code-reusable", F),
    ("token.code-bound-client", "code-not-bound-to-client", F),
    # OAuth 2.1 draft-15 §10.2 dropped redirect_uri from the token request: SHOULD, not MUST
    ("token.redirect-uri-match", "redirect-uri-not-checked-at-token", W),
    ("token.no-store", "token-cacheable", F),
    ("token.error-format", "token-error-not-json", F),
    ("token.resource-audience", "resource-ignored", F),
    ("refresh.issued", "no-refresh-token", W),
    ("refresh.works", "refresh-loses-audience", F),
    ("refresh.rotation", "refresh-not-rotated", F),
    ("refresh.reuse-rejected", "refresh-reuse-accepted", F),
    ("refresh.reuse-rejected", "refresh-reuse-grace", W),
    ("refresh.bound-client", "refresh-not-bound-to-client", F),
    ("refresh.works", "no-refresh-token", Verdict.SKIP),
    ("authz.redirect.exact", "dcr-loopback-refused", Verdict.SKIP),
]


@pytest.mark.parametrize(("check_id", "defect", "expected"), DEFECT_CASES, ids=ids(DEFECT_CASES))
def test_defect_is_caught(check_id: str, defect: str, expected: Verdict) -> None:
    result = run_check(check_id, frozenset({Defect(defect)}), config=FAST_GRACE)
    assert result.verdict is expected, result.message


def test_each_error_found_before_the_redirect_uri_is_named() -> None:
    defects = frozenset({Defect.ERROR_REDIRECT_BEFORE_URI_CHECK})
    result = run_check("authz.error-redirect-safe", defects)
    assert result.verdict is F, result.message
    for fault in ("an unknown scope", "an unsupported response_type", "no code_challenge"):
        assert f"an unregistered redirect URI and {fault}: HTTP 302 redirect" in result.message


def test_a_correct_server_shows_each_error_and_names_its_chosen_auth_method() -> None:
    result = run_check("authz.error-redirect-safe")
    assert result.verdict is P, result.message
    assert "an unregistered redirect URI and no code_challenge: 400 text/html" in result.message
    result = run_check("reg.dcr.echo-auth-method")
    assert result.verdict is P, result.message
    assert "without one, client_secret_basic was assigned and stated" in result.message


def test_a_secret_without_a_named_auth_method_says_what_clients_do() -> None:
    defects = frozenset({Defect.DCR_DEFAULT_AUTH_METHOD_NOT_ECHOED})
    result = run_check("reg.dcr.echo-auth-method", defects)
    assert result.verdict is F, result.message
    assert "invalid_client" in result.message


def test_a_grace_window_is_reported_with_its_length() -> None:
    result = run_check(
        "refresh.reuse-rejected", frozenset({Defect.REFRESH_REUSE_GRACE}), config=FAST_GRACE
    )
    assert "grace window" in result.message
    assert " s after rotation" in result.message


def test_cimd_is_skipped_when_not_advertised() -> None:
    reference = ReferenceConfig(access_token_ttl=FAST_TTL_S, client_id_metadata_documents=False)
    result = run_check("reg.cimd.validates", reference=reference)
    assert result.verdict is Verdict.SKIP
    assert "client_id_metadata_document_supported" in result.message


@pytest.mark.parametrize(
    "check_id",
    ["token.code-bound-client", "refresh.bound-client", "reg.dcr.accepts-valid"],
)
def test_without_registration_the_binding_checks_say_why(check_id: str) -> None:
    """A pre-registered [client] and no DCR: no second client, so skip with that reason."""
    reference = ReferenceConfig(access_token_ttl=FAST_TTL_S, dynamic_client_registration=False)
    with ReferenceServer(reference) as server:
        client = server.register_client(["http://127.0.0.1:33418/callback"])
        config = Config(
            client=ClientConfig(client_id=client.client_id, redirect_uri=client.redirect_uris[0])
        )
        session = HarnessSession(
            target_url=server.mcp_url, config=config, selected=frozenset({(check_id, None)})
        )
        session.run()
    result = session.result(check_id)
    assert result.verdict is Verdict.SKIP
    assert "registration" in result.message


@pytest.mark.parametrize("check_id", ["authz.redirect.exact", "pkce.required", "refresh.works"])
def test_a_login_the_harness_cannot_pass_is_a_skip_saying_how(check_id: str) -> None:
    """A login page in auto mode: the unmutated flow cannot finish, so nothing is judged."""
    reference = ReferenceConfig(access_token_ttl=FAST_TTL_S, login="form")
    result = run_check(check_id, reference=reference)
    assert result.verdict is Verdict.SKIP
    assert "[login]" in result.message


def test_a_307_answering_the_login_form_post_fails() -> None:
    """With a login form the authorization response answers a POST: a 307 re-sends its body."""
    reference = ReferenceConfig(
        access_token_ttl=FAST_TTL_S, login="form", defects=frozenset({Defect.AUTHZ_307})
    )
    config = Config(login=LoginConfig(mode="form", username="alice", password=USERS["alice"]))
    result = run_check("authz.redirect-status", reference=reference, config=config)
    assert result.verdict is Verdict.FAIL, result.message
    assert "POST" in result.message
