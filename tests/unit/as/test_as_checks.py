"""Authorization-server checks judged on hand-made evidence: each verdict of each outcome set."""

from __future__ import annotations

import dataclasses
import json

import httpx
import pytest

from harness.checks import BY_ID
from harness.config import parse_config
from harness.errors import ConfigError
from harness.exchange import Exchange, RecordedRequest, RecordedResponse
from harness.http import Response
from harness.oauth.registration import ClientCredentials, Registration
from harness.oauth.tokens import TokenResponse, parse_token_response
from harness.probes.authserver.canary import Hit
from harness.probes.authserver.evidence import (
    AudienceProbes,
    GracePoll,
    LabelledToken,
    Mutation,
    PkceProbes,
    RedirectProbes,
    RefreshLifecycle,
    RegistrationAttempt,
    RegistrationProbes,
    TokenErrorProbes,
)
from harness.probes.authserver.records import AuthzRequest, FlowRun, Navigation
from harness.probes.resource.evidence import Attempt
from harness.results import Verdict

REGISTERED = "http://127.0.0.1:40000/callback"


def response(
    status: int, body: dict[str, object] | None = None, *, content_type: str = "application/json"
) -> Response:
    raw = json.dumps(body).encode() if body is not None else b"oops"
    url = "http://as.test/endpoint"
    exchange = Exchange(
        request=RecordedRequest(method="POST", url=url, headers=()),
        response=RecordedResponse(status=status, headers=()),
    )
    headers = httpx.Headers({"content-type": content_type, "cache-control": "no-store"})
    return Response(status=status, headers=headers, body=raw, url=url, exchange=exchange)


def token(status: int = 200, **body: object) -> TokenResponse:
    if status == 200 and not body:
        body = {"access_token": "at-123456", "token_type": "Bearer", "refresh_token": "rt-1234567"}
    return parse_token_response(response(status, body))


def refused() -> TokenResponse:
    return token(400, error="invalid_grant")


def request() -> AuthzRequest:
    return AuthzRequest(
        client_id="c", redirect_uri=REGISTERED, pkce=None, state="s", scope=None, resource=None
    )


def flow(tokens: TokenResponse | None = None) -> FlowRun:
    landed = Navigation(landing=f"{REGISTERED}?code=code-1234&state=s", status=302)
    return FlowRun(request=request(), navigation=landed, token=tokens or token())


def lifecycle(replay: TokenResponse, grace: tuple[GracePoll, ...] = ()) -> RefreshLifecycle:
    return RefreshLifecycle(
        public_client=True,
        grant=flow(),
        first=token(200, access_token="at-2345678", refresh_token="rt-2345678"),
        new_token_at_resource=None,
        replay=replay,
        grace=grace,
        grace_limit_s=4,
        newer_after_replay=refused(),
    )


def test_refresh_reuse_refused_reports_family_revocation() -> None:
    result = BY_ID["refresh.reuse-rejected"].run(lifecycle(refused()))
    assert result.verdict is Verdict.PASS
    assert "revoked the newer refresh token" in result.message


def test_refresh_reuse_grace_window_is_a_warning_with_its_length() -> None:
    grace = (GracePoll(after_s=0.5, token=token()), GracePoll(after_s=1.01, token=refused()))
    result = BY_ID["refresh.reuse-rejected"].run(lifecycle(token(), grace))
    assert result.verdict is Verdict.WARN
    assert "accepted 0.5 s after rotation and refused 1.01 s after" in result.message


def test_refresh_reuse_without_end_fails() -> None:
    grace = (GracePoll(after_s=0.5, token=token()), GracePoll(after_s=4.0, token=token()))
    result = BY_ID["refresh.reuse-rejected"].run(lifecycle(token(), grace))
    assert result.verdict is Verdict.FAIL
    assert "still accepted 4 s after" in result.message


def registration(status: int, document: dict[str, object], uri: str) -> RegistrationAttempt:
    accepted = status in {200, 201} and "client_id" in document
    credentials = ClientCredentials(client_id="c") if accepted else None
    error = None if accepted else str(document.get("error"))
    return RegistrationAttempt(
        label=uri,
        redirect_uri=uri,
        registration=Registration(
            response=response(status, document),
            credentials=credentials,
            error=error,
            document=document,
        ),
    )


def registrations(*bad: RegistrationAttempt, valid_status: int = 201) -> RegistrationProbes:
    valid = registration(
        valid_status, {"client_id": "c", "redirect_uris": [REGISTERED]}, REGISTERED
    )
    return RegistrationProbes(
        endpoint="http://as.test/register", requested_auth_method="none", bad=bad, valid=valid
    )


def test_bad_redirect_outcome_sets() -> None:
    judge = BY_ID["reg.dcr.rejects-bad-redirect"].run
    refusal = registration(400, {"error": "invalid_redirect_uri"}, "javascript:x")
    assert judge(registrations(refusal)).verdict is Verdict.PASS
    dropped = registration(201, {"client_id": "c", "redirect_uris": []}, "data:x")
    assert judge(registrations(refusal, dropped)).verdict is Verdict.PASS
    stored = registration(201, {"client_id": "c", "redirect_uris": ["data:x"]}, "data:x")
    assert judge(registrations(refusal, stored)).verdict is Verdict.FAIL
    crashed = registration(500, {"error": "server_error"}, "data:x")
    assert judge(registrations(crashed)).verdict is Verdict.WARN
    assert judge(registrations(refusal, valid_status=403)).verdict is Verdict.SKIP


def errors(*attempts: TokenResponse) -> TokenErrorProbes:
    return TokenErrorProbes(
        attempts=tuple(LabelledToken(label=f"case {i}", token=t) for i, t in enumerate(attempts))
    )


def test_token_error_format_outcome_sets() -> None:
    judge = BY_ID["token.error-format"].run
    assert judge(errors(refused(), token(401, error="invalid_client"))).verdict is Verdict.PASS
    assert judge(errors(token(500, error="server_error"))).verdict is Verdict.FAIL
    assert judge(errors(token(401, error="invalid_grant"))).verdict is Verdict.FAIL
    plain = parse_token_response(response(400, None, content_type="text/plain"))
    assert judge(errors(plain)).verdict is Verdict.FAIL
    assert judge(errors(token(429, error="slow_down"))).verdict is Verdict.ERROR


def mutation(label: str, sent: str, navigation: Navigation) -> Mutation:
    return Mutation(label=label, sent_redirect_uri=sent, navigation=navigation)


def redirects(
    *unregistered: Mutation, hits: tuple[Hit, ...] = (), sanity: FlowRun | None = None
) -> RedirectProbes:
    page = Navigation(page=response(400, {"error": "invalid_request"}), problem="page")
    return RedirectProbes(
        issuer="http://as.test",
        iss_supported=True,
        registered=REGISTERED,
        unregistered=unregistered,
        other_port=None,
        bad_client=(),
        implicit=mutation("response_type=token", REGISTERED, page),
        canary_origin="http://127.0.0.1:40000",
        canary_hits=hits,
        sent_state="s",
        sanity=sanity or flow(),
    )


def test_redirect_exact_outcome_sets() -> None:
    judge = BY_ID["authz.redirect.exact"].run
    evil = "http://127.0.0.1:40000/evil"
    page = Navigation(page=response(400, {"error": "invalid_request"}), problem="page")
    to_registered = Navigation(landing=f"{REGISTERED}?error=invalid_request", status=302)
    to_evil = Navigation(landing=f"{evil}?code=code-1234", status=302)
    assert judge(redirects(mutation("path", evil, page))).verdict is Verdict.PASS
    assert judge(redirects(mutation("path", evil, to_registered))).verdict is Verdict.PASS
    assert judge(redirects(mutation("path", evil, to_evil))).verdict is Verdict.FAIL
    canary = (Hit(method="GET", path="/evil"),)
    assert judge(redirects(mutation("path", evil, page), hits=canary)).verdict is Verdict.FAIL
    broken = flow(refused())
    assert judge(redirects(mutation("path", evil, page), sanity=broken)).verdict is Verdict.ERROR


def test_loopback_port_without_a_loopback_redirect_is_skipped() -> None:
    result = BY_ID["authz.redirect.loopback-port"].run(redirects())
    assert result.verdict is Verdict.SKIP
    assert "loopback" in result.message


def test_a_rate_limited_refusal_is_never_a_pass() -> None:
    evil = "http://127.0.0.1:40000/evil"
    limited = Navigation(page=response(429, {"error": "too_many_requests"}), problem="page")
    result = BY_ID["authz.redirect.exact"].run(redirects(mutation("path", evil, limited)))
    assert result.verdict is Verdict.ERROR
    assert "rate limiting" in result.message
    busy = lifecycle(token(429, error="slow_down"))
    assert BY_ID["refresh.reuse-rejected"].run(busy).verdict is Verdict.ERROR


def attempt(status: int | None) -> Attempt:
    if status is None:
        return Attempt(label="at the MCP server", response=None, error="connection refused")
    return Attempt(label="at the MCP server", response=response(status, {}))


def audience(
    foreign: FlowRun,
    foreign_at: Attempt | None,
    aud: tuple[str, ...] | None,
    own_at: Attempt | None = None,
) -> AudienceProbes:
    return AudienceProbes(
        resource="http://rs.test/mcp",
        other="http://other.test/mcp",
        other_source="[target].other_resource",
        own=flow(),
        own_at_resource=own_at or attempt(200),
        foreign=foreign,
        foreign_at_resource=foreign_at,
        foreign_audience=aud,
    )


def test_resource_audience_outcome_sets() -> None:
    judge = BY_ID["token.resource-audience"].run
    ours, theirs = "http://rs.test/mcp", "http://other.test/mcp"
    assert judge(audience(flow(), attempt(401), (theirs,))).verdict is Verdict.PASS
    # the token provably names another audience than requested, or not this server: MUST
    assert judge(audience(flow(), attempt(200), (ours,))).verdict is Verdict.FAIL
    assert judge(audience(flow(), attempt(200), (theirs,))).verdict is Verdict.FAIL
    # opaque, or naming both: the AS ignores resource (SHOULD)
    opaque = judge(audience(flow(), attempt(200), None))
    assert opaque.verdict is Verdict.WARN
    assert "SHOULD" in opaque.message
    assert judge(audience(flow(), attempt(200), (theirs, ours))).verdict is Verdict.WARN
    # an MCP server that did not judge the token proves nothing
    for status in (429, 503, None):
        assert judge(audience(flow(), attempt(status), None)).verdict is Verdict.ERROR
        busy = audience(flow(), attempt(401), None, own_at=attempt(status))
        assert judge(busy).verdict is Verdict.ERROR


def test_resource_audience_no_foreign_token_passes_only_for_a_refusal() -> None:
    judge = BY_ID["token.resource-audience"].run
    invalid_target = flow(token(400, error="invalid_target"))
    assert judge(audience(invalid_target, None, None)).verdict is Verdict.PASS
    error_redirect = FlowRun(
        request=request(),
        navigation=Navigation(landing=f"{REGISTERED}?error=invalid_target&state=s", status=302),
        token=None,
    )
    assert judge(audience(error_redirect, None, None)).verdict is Verdict.PASS
    for other in (token(429, error="slow_down"), refused()):
        assert judge(audience(flow(other), None, None)).verdict is Verdict.ERROR
    # only `resource` differs from the working flow: a 5xx refuses it, in the wrong form
    crashed = judge(audience(flow(token(500, error="server_error")), None, None))
    assert crashed.verdict is Verdict.WARN
    stuck = FlowRun(
        request=request(),
        navigation=Navigation(
            page=response(200, {}, content_type="text/html"), problem="no form", login_stuck=True
        ),
        token=None,
    )
    assert judge(audience(stuck, None, None)).verdict is Verdict.ERROR


def redirected(status: int, method: str) -> Navigation:
    exchange = Exchange(
        request=RecordedRequest(method=method, url="http://as.test/authorize", headers=()),
        response=RecordedResponse(status=status, headers=()),
    )
    landing = f"{REGISTERED}?code=code-1234&state=s"
    return Navigation(landing=landing, status=status, exchanges=(exchange,))


def test_redirect_status_judges_the_method_the_redirect_answered() -> None:
    judge = BY_ID["authz.redirect-status"].run

    def sanity(navigation: Navigation) -> RedirectProbes:
        return redirects(sanity=FlowRun(request=request(), navigation=navigation, token=token()))

    assert judge(sanity(redirected(302, "POST"))).verdict is Verdict.PASS
    assert judge(sanity(redirected(307, "GET"))).verdict is Verdict.WARN
    assert judge(sanity(redirected(308, "POST"))).verdict is Verdict.FAIL


def test_a_login_the_driver_cannot_pass_is_no_refusal() -> None:
    evil = "http://127.0.0.1:40000/evil"
    stuck = Navigation(
        page=response(200, {}, content_type="text/html"), problem="no form", login_stuck=True
    )
    result = BY_ID["authz.redirect.exact"].run(redirects(mutation("path", evil, stuck)))
    assert result.verdict is Verdict.ERROR
    assert "login" in result.message


def pkce(confidential: bool) -> PkceProbes:
    landed = Navigation(landing=f"{REGISTERED}?code=code-1234&state=s", status=302)
    page = Navigation(page=response(400, {"error": "invalid_request"}), problem="page")
    return PkceProbes(
        advertised=("S256",),
        no_challenge=mutation("no code_challenge", REGISTERED, landed),
        no_challenge_token=token(),
        downgrade=mutation("downgrade", REGISTERED, page),
        downgrade_token=None,
        plain=mutation("plain", REGISTERED, page),
        wrong_verifier=flow(refused()),
        missing_verifier=flow(refused()),
        sanity=flow(),
        confidential_client=confidential,
    )


def test_pkce_may_be_optional_for_a_confidential_client() -> None:
    judge = BY_ID["pkce.required"].run
    assert judge(pkce(confidential=False)).verdict is Verdict.FAIL
    assert judge(pkce(confidential=True)).verdict is Verdict.WARN


def test_protected_registration_is_skipped() -> None:
    judge = BY_ID["reg.dcr.accepts-valid"].run
    for status in (401, 403):
        protected = registrations(valid_status=status)
        protected = RegistrationProbes(
            endpoint=protected.endpoint,
            requested_auth_method="none",
            bad=(),
            valid=registration(status, {"error": "invalid_token"}, REGISTERED),
        )
        result = judge(protected)
        assert result.verdict is Verdict.SKIP
        assert "initial access token" in result.message


def test_refresh_works_needs_an_answer_from_the_mcp_server() -> None:
    judge = BY_ID["refresh.works"].run
    for status in (429, 502, None):
        used = dataclasses.replace(lifecycle(refused()), new_token_at_resource=attempt(status))
        assert judge(used).verdict is Verdict.ERROR
    refused_there = dataclasses.replace(lifecycle(refused()), new_token_at_resource=attempt(401))
    assert judge(refused_there).verdict is Verdict.FAIL
    busy = dataclasses.replace(lifecycle(refused()), first=token(429, error="slow_down"))
    assert judge(busy).verdict is Verdict.ERROR


def test_refresh_issued_says_whether_offline_access_was_requested() -> None:
    judge = BY_ID["refresh.issued"].run
    no_refresh = flow(token(200, access_token="at-123456", token_type="Bearer"))
    unlisted = dataclasses.replace(lifecycle(refused()), grant=no_refresh)
    result = judge(unlisted)
    assert result.verdict is Verdict.WARN
    assert "offline_access was not requested" in result.message
    asked = dataclasses.replace(unlisted, offline_access_listed=True, offline_access_requested=True)
    assert "offline_access was requested" in judge(asked).message


def test_the_refresh_grace_bound_is_capped() -> None:
    with pytest.raises(ConfigError, match=r"\[tokens\]\.max_refresh_grace_s"):
        parse_config({"tokens": {"max_refresh_grace_s": 121}})
    assert parse_config({"tokens": {"max_refresh_grace_s": 120}}).tokens.max_refresh_grace_s == 120
