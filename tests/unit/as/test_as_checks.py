"""Authorization-server checks judged on hand-made evidence: each verdict of each outcome set."""

from __future__ import annotations

import json

import httpx

from harness.checks import BY_ID
from harness.http import Exchange, RecordedRequest, RecordedResponse, Response
from harness.oauth.registration import ClientCredentials, Registration
from harness.oauth.tokens import TokenResponse, parse_token_response
from harness.probes.as_evidence import (
    GracePoll,
    LabelledToken,
    Mutation,
    RedirectProbes,
    RefreshLifecycle,
    RegistrationAttempt,
    RegistrationProbes,
    TokenErrorProbes,
)
from harness.probes.as_records import AuthzRequest, FlowRun, Navigation
from harness.probes.canary import Hit
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
