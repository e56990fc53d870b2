"""reg.*: dynamic client registration (RFC 7591) and client ID metadata documents (CIMD)."""

from __future__ import annotations

from harness.checks.base import check
from harness.errors import CheckFailed, NotApplicable
from harness.probes.authserver.evidence import (
    CimdProbes,
    RegistrationAttempt,
    RegistrationProbes,
    require_answered,
)
from harness.results import Level, Severity

MCP = "MCP 2025-11-25 Authorization"
REDIRECT_ERRORS = frozenset({"invalid_redirect_uri", "invalid_client_metadata"})
SECRET_METHODS = frozenset({"client_secret_basic", "client_secret_post", "client_secret_jwt"})


@check(
    "reg.dcr.accepts-valid",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=("RFC 7591 §3.2.1", f"{MCP} §Dynamic Client Registration"),
)
def accepts_valid(ev: RegistrationProbes) -> str:
    """A typical MCP client registration gets 201 with a client_id."""
    valid = ev.valid
    response = valid.registration.response
    if not valid.accepted:
        if response.status in {401, 403}:
            raise NotApplicable(
                f"the registration endpoint answered {response.summary()}: registration is "
                "protected (RFC 7591 §3: an initial access token may be required), so whether it "
                "accepts a typical MCP client's open registration was not tested"
            )
        require_answered(response)
        detail = valid.registration.error_description or ""
        raise CheckFailed(
            expected="201 with a client_id for a public client with a loopback redirect URI",
            actual=f"{response.summary()} {detail}".strip(),
            evidence=valid.exchanges,
        )
    if response.status != 201:
        raise CheckFailed(
            expected="201 Created (RFC 7591 §3.2.1)",
            actual=f"HTTP {response.status} with a client_id",
            evidence=valid.exchanges,
            should=True,
        )
    return "201 with a client_id"


@check(
    "reg.dcr.rejects-bad-redirect",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=("OAuth 2.1 §2.3.1", "RFC 9700 §2.6", "RFC 7591 §3.2.2", "MCP Security Best Practices"),
)
def rejects_bad_redirect(ev: RegistrationProbes) -> str:
    """javascript:, data:, fragment and non-loopback http redirect URIs are refused."""
    accepted = []
    odd_refusals = []
    for attempt in ev.bad:
        if attempt.accepted:
            echoed = attempt.echoed_redirect_uris
            if echoed is not None and attempt.redirect_uri not in echoed:
                continue  # stored without the bad URI: the client cannot use it
            accepted.append(attempt)
            continue
        error = attempt.registration.error
        if attempt.registration.response.status != 400 or error not in REDIRECT_ERRORS:
            odd_refusals.append(f"{attempt.label}: {attempt.registration.response.summary()}")
    if accepted:
        raise CheckFailed(
            expected="400 invalid_redirect_uri (or invalid_client_metadata)",
            actual="registered with " + ", ".join(a.label for a in accepted),
            evidence=[e for a in accepted for e in a.exchanges],
        )
    require_answered(*(a.registration.response for a in ev.bad if not a.accepted))
    if not ev.valid.accepted:
        raise NotApplicable(
            "a typical registration was refused as well (see reg.dcr.accepts-valid), so these "
            "refusals prove nothing"
        )
    if odd_refusals:
        raise CheckFailed(
            expected="400 with error invalid_redirect_uri or invalid_client_metadata",
            actual="refused, but " + "; ".join(odd_refusals),
            evidence=ev.exchanges,
            should=True,
        )
    return f"all {len(ev.bad)} bad redirect URIs were refused with 400"


@check(
    "reg.dcr.echo-auth-method",
    level=Level.MUST,
    severity=Severity.LOW,
    refs=("RFC 7591 §3.2.1", "RFC 7591 §2"),
)
def echo_auth_method(ev: RegistrationProbes) -> str:
    """The registration response states the token_endpoint_auth_method actually assigned.

    Also when the request left it for the server to choose (RFC 7591 §3.2.1)."""
    if not ev.valid.accepted:
        raise NotApplicable("the typical registration was refused (see reg.dcr.accepts-valid)")
    method = _stated_method(ev.valid)
    if method != ev.requested_auth_method:
        stated = f"assigned {method} (requested {ev.requested_auth_method}) and said so"
    else:
        stated = f"token_endpoint_auth_method {method} stated"
    return f"{stated}; {_chosen_method(ev)}"


def _stated_method(attempt: RegistrationAttempt) -> str:
    """The method an accepted registration names, consistent with its secret (else a finding)."""
    document = attempt.registration.document or {}
    method = document.get("token_endpoint_auth_method")
    if not isinstance(method, str) or not method:
        raise CheckFailed(
            expected="token_endpoint_auth_method in the registration response "
            "(RFC 7591 §3.2.1: all registered metadata is returned)",
            actual="absent",
            evidence=attempt.exchanges,
        )
    if method in SECRET_METHODS and not _has_secret(attempt):
        raise CheckFailed(
            expected=f"a client_secret with token_endpoint_auth_method {method}",
            actual="no client_secret",
            evidence=attempt.exchanges,
        )
    return method


def _chosen_method(ev: RegistrationProbes) -> str:
    """A registration without the field: the server picks a method and must name it, or the
    client guesses (the Python SDK client then sends no secret and gets invalid_client)."""
    omitted = ev.omitted
    if omitted is None:
        return f"a registration without one was not sent ({ev.omitted_reason or 'no reason'})"
    if not omitted.accepted:
        require_answered(omitted.registration.response)
        return f"a registration without one was refused ({omitted.registration.response.summary()})"
    document = omitted.registration.document or {}
    if isinstance(document.get("token_endpoint_auth_method"), str):
        return f"without one, {_stated_method(omitted)} was assigned and stated"
    if _has_secret(omitted):
        raise CheckFailed(
            expected="the token_endpoint_auth_method the server chose, in the response "
            "(RFC 7591 §3.2.1: including metadata the server provisioned itself)",
            actual="registered without token_endpoint_auth_method: a client_secret is issued "
            "but no method is named, so clients guess how to authenticate (the Python SDK "
            "client sends none and gets 400 invalid_client)",
            evidence=omitted.exchanges,
        )
    raise CheckFailed(
        expected="the token_endpoint_auth_method the server chose, in the response "
        "(RFC 7591 §3.2.1)",
        actual="registered without token_endpoint_auth_method: neither a method nor a "
        "client_secret in the response (clients will assume none; RFC 7591 §2's default is "
        "client_secret_basic)",
        evidence=omitted.exchanges,
        should=True,
    )


def _has_secret(attempt: RegistrationAttempt) -> bool:
    document = attempt.registration.document or {}
    secret = document.get("client_secret")
    return isinstance(secret, str) and bool(secret)


@check(
    "reg.cimd.validates",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=("draft-ietf-oauth-client-id-metadata-document §3, §4", f"{MCP} §Client ID Metadata"),
)
def cimd_validates(ev: CimdProbes) -> str:
    """A client metadata document whose client_id is not its own URL is refused."""
    fetched = ", ".join(h.describe() for h in ev.fetched) or "nothing"
    if ev.mismatch.navigation.code is not None:
        raise CheckFailed(
            expected="the authorization request refused (the document's client_id "
            f"{ev.stated_client_id} is not its URL {ev.document_url})",
            actual=f"{ev.mismatch.navigation.describe()}; the AS fetched {fetched}",
            evidence=ev.mismatch.exchanges,
        )
    if not ev.sanity.ok:
        if ev.sanity.navigation.login_stuck:
            raise NotApplicable(
                f"the harness could not complete an authorization ({ev.sanity.problem}); "
                "set [login] (mode = form, username, password) so it can log in"
            )
        require_answered(ev.sanity.navigation, ev.sanity.token)
        raise NotApplicable(
            "the authorization server did not accept a correct client metadata document served "
            f"by the harness either ({ev.sanity.problem}); CIMD requires https client ids, so a "
            "production authorization server may rightly refuse the harness's loopback http "
            "document"
        )
    require_answered(ev.mismatch.navigation)
    return f"refused ({ev.mismatch.navigation.describe()}); the AS fetched {fetched}"


CHECKS = (accepts_valid, rejects_bad_redirect, echo_auth_method, cimd_validates)
