"""The checks that look past the first fault, on hand-made evidence: an error redirect to an
unregistered redirect URI when the request has a second fault (authz.error-redirect-safe), and a
registration that leaves token_endpoint_auth_method to the server (reg.dcr.echo-auth-method)."""

from __future__ import annotations

import json

import httpx
import pytest

from harness.checks import BY_ID
from harness.exchange import Exchange, RecordedRequest, RecordedResponse
from harness.http import Response
from harness.oauth.registration import ClientCredentials, Registration
from harness.oauth.tokens import parse_token_response
from harness.probes.authserver.canary import Hit
from harness.probes.authserver.evidence import (
    Mutation,
    RedirectProbes,
    RegistrationAttempt,
    RegistrationProbes,
)
from harness.probes.authserver.records import AuthzRequest, FlowRun, Navigation
from harness.results import Verdict

CANARY = "http://127.0.0.1:40000"
REGISTERED = f"{CANARY}/callback"
ERROR_URI = f"{CANARY}/error-0-abcd"


def response(status: int, body: dict[str, object], *, content_type: str) -> Response:
    url = "http://as.test/endpoint"
    exchange = Exchange(
        request=RecordedRequest(method="POST", url=url, headers=()),
        response=RecordedResponse(status=status, headers=()),
    )
    headers = httpx.Headers({"content-type": content_type, "cache-control": "no-store"})
    raw = json.dumps(body).encode()
    return Response(status=status, headers=headers, body=raw, url=url, exchange=exchange)


def page(status: int = 400) -> Navigation:
    shown = response(status, {"error": "invalid_request"}, content_type="text/html")
    return Navigation(page=shown, problem="page")


def sanity() -> FlowRun:
    request = AuthzRequest(
        client_id="c", redirect_uri=REGISTERED, pkce=None, state="s", scope=None, resource=None
    )
    landed = Navigation(landing=f"{REGISTERED}?code=code-1234&state=s", status=302)
    body = {"access_token": "at-123456", "token_type": "Bearer"}
    tokens = parse_token_response(response(200, body, content_type="application/json"))
    return FlowRun(request=request, navigation=landed, token=tokens)


def redirects(navigation: Navigation, *, hits: tuple[Hit, ...] = ()) -> RedirectProbes:
    fault = Mutation(
        label="an unregistered redirect URI and an unknown scope",
        sent_redirect_uri=ERROR_URI,
        navigation=navigation,
    )
    return RedirectProbes(
        issuer="http://as.test",
        iss_supported=True,
        registered=REGISTERED,
        unregistered=(),
        other_port=None,
        bad_client=(),
        implicit=Mutation(label="response_type=token", sent_redirect_uri=None, navigation=page()),
        canary_origin=CANARY,
        canary_hits=hits,
        sent_state="s",
        sanity=sanity(),
        error_redirects=(fault,),
    )


def test_an_error_redirected_to_the_unregistered_uri_fails() -> None:
    judge = BY_ID["authz.error-redirect-safe"].run
    assert judge(redirects(page())).verdict is Verdict.PASS
    to_registered = Navigation(landing=f"{REGISTERED}?error=invalid_scope", status=302)
    assert judge(redirects(to_registered)).verdict is Verdict.PASS
    to_error_uri = Navigation(landing=f"{ERROR_URI}?error=invalid_scope&state=s", status=302)
    result = judge(redirects(to_error_uri))
    assert result.verdict is Verdict.FAIL
    assert "an unknown scope: HTTP 302 redirect to " + ERROR_URI in result.message
    assert judge(redirects(page(429))).verdict is Verdict.ERROR


def test_a_canary_hit_on_an_error_uri_is_judged_by_error_redirect_safe_only() -> None:
    hit = (Hit(method="GET", path="/error-0-abcd"),)
    result = BY_ID["authz.error-redirect-safe"].run(redirects(page(), hits=hit))
    assert result.verdict is Verdict.FAIL
    assert "the canary at" in result.message
    assert BY_ID["authz.redirect.exact"].run(redirects(page(), hits=hit)).verdict is Verdict.PASS


def attempt(status: int, document: dict[str, object]) -> RegistrationAttempt:
    accepted = status in {200, 201}
    registration = Registration(
        response=response(status, document, content_type="application/json"),
        credentials=ClientCredentials(client_id="c") if accepted else None,
        error=None if accepted else str(document.get("error")),
        document=document,
    )
    return RegistrationAttempt(label="r", redirect_uri=REGISTERED, registration=registration)


def registrations(
    omitted: RegistrationAttempt | None, reason: str | None = None
) -> RegistrationProbes:
    valid = attempt(201, {"client_id": "c", "token_endpoint_auth_method": "none"})
    return RegistrationProbes(
        endpoint="http://as.test/register",
        requested_auth_method="none",
        bad=(),
        valid=valid,
        omitted=omitted,
        omitted_reason=reason,
    )


SECRET = {"client_secret": "s3cr3t-value"}


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        # RFC 7591 §2's default, named: a pass
        ({"token_endpoint_auth_method": "client_secret_basic", **SECRET}, Verdict.PASS),
        # a public client, named, no secret: a pass
        ({"token_endpoint_auth_method": "none"}, Verdict.PASS),
        # a secret but no method (the TypeScript SDK demo AS): clients guess
        (SECRET, Verdict.FAIL),
        # a secret method named, but no secret to use it with
        ({"token_endpoint_auth_method": "client_secret_post"}, Verdict.FAIL),
        # neither: clients that assume none work, but nothing was stated
        ({}, Verdict.WARN),
    ],
)
def test_a_method_the_server_chose_must_be_stated(
    document: dict[str, object], expected: Verdict
) -> None:
    result = BY_ID["reg.dcr.echo-auth-method"].run(
        registrations(attempt(201, {"client_id": "c2", **document}))
    )
    assert result.verdict is expected, result.message


def test_a_registration_without_a_method_that_was_not_judged_says_so() -> None:
    judge = BY_ID["reg.dcr.echo-auth-method"].run
    unsent = judge(registrations(None, "rate limited (Retry-After 60)"))
    assert unsent.verdict is Verdict.PASS
    assert "was not sent (rate limited (Retry-After 60))" in unsent.message
    refused = judge(registrations(attempt(400, {"error": "invalid_client_metadata"})))
    assert refused.verdict is Verdict.PASS
    assert "was refused (400 application/json error=invalid_client_metadata)" in refused.message
    assert judge(registrations(attempt(429, {"error": "slow_down"}))).verdict is Verdict.ERROR
