"""token.*: the token endpoint — codes single-use and bound, redirect_uri, caching, errors,
and tokens bound to the resource they were requested for."""

from __future__ import annotations

from harness.checks.base import check
from harness.errors import CheckFailed, NotApplicable, TargetError
from harness.oauth.tokens import TOKEN_ERROR_CODES, TokenResponse
from harness.probes.authserver.evidence import (
    AudienceProbes,
    TokenErrorProbes,
    TokenProbes,
    require_answered,
    require_code,
    require_flow,
    require_judged,
    require_sanity,
)
from harness.results import Level, Severity

MCP = "MCP 2025-11-25 Authorization"
BUSY = frozenset({429, 503})


def _summary(token: TokenResponse) -> str:
    return token.response.summary()


@check(
    "token.code-single-use",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=("OAuth 2.1 §4.1.2, §4.1.3", "RFC 6749 §4.1.2"),
)
def code_single_use(ev: TokenProbes) -> str:
    """A second redemption of a code fails."""
    require_code(ev.first, "the code replay")
    require_flow(ev.first, "the first redemption of the code failed")
    if ev.replay is None:
        raise TargetError("the code was redeemed once but never replayed")
    if ev.replay.tokens is not None:
        raise CheckFailed(
            expected="400 invalid_grant for the second redemption",
            actual="tokens again for the same code",
            evidence=(*ev.first.exchanges, ev.replay.response.exchange),
        )
    require_answered(ev.replay)
    require_sanity(ev.sanity, after="the second redemption")
    message = f"the second redemption was refused ({_summary(ev.replay)})"
    if ev.after_replay is not None:
        revoked = ev.after_replay.tokens is None
        message += (
            "; the refresh token of the first redemption was then revoked"
            if revoked
            else "; the refresh token of the first redemption still works (OAuth 2.1 §4.1.3: "
            "the AS should revoke what a replayed code produced)"
        )
    return message


@check(
    "token.code-bound-client",
    level=Level.MUST,
    severity=Severity.CRITICAL,
    refs=("OAuth 2.1 §4.1.3", "RFC 6749 §4.1.3"),
)
def code_bound_client(ev: TokenProbes) -> str:
    """Client B cannot redeem client A's code."""
    ev.second.require()
    theft = ev.theft
    if theft is None:
        raise NotApplicable(ev.second.reason or "no second client")
    require_code(theft, "the other client")
    token = theft.token
    if token is None or token.tokens is not None:
        raise CheckFailed(
            expected="400 invalid_grant (or 401 invalid_client) for another client's code",
            actual="tokens issued to the other client",
            evidence=theft.exchanges,
        )
    require_answered(token)
    require_sanity(ev.sanity, after="the other client's attempt")
    owner = ev.owner_after_theft
    after = (
        ""
        if owner is None
        else (
            "; the owner then redeemed it"
            if owner.tokens is not None
            else f"; the owner's redemption afterwards was refused too ({_summary(owner)})"
        )
    )
    return f"refused: {_summary(token)}{after}"


@check(
    "token.redirect-uri-match",
    level=Level.MUST,
    severity=Severity.MEDIUM,
    refs=("OAuth 2.1 §4.1.3", "RFC 6749 §4.1.3"),
)
def redirect_uri_match(ev: TokenProbes) -> str:
    """redirect_uri at the token endpoint must match the authorization request."""
    flow = ev.redirect_mismatch
    require_code(flow, "the redirect_uri mismatch")
    token = flow.token
    if token is not None and token.tokens is not None:
        # OAuth 2.1 draft-13 §4.1.3 (which the MCP spec cites) requires the check; draft-15
        # removed redirect_uri from the token request (§10.2), so ignoring it is now allowed
        # where PKCE binds the code; a SHOULD-level finding, not a MUST.
        raise CheckFailed(
            expected="400 invalid_grant for a redirect_uri other than the authorization request's "
            "(OAuth 2.1 draft-13 §4.1.3, cited by the MCP spec)",
            actual="tokens: the token endpoint ignores redirect_uri (OAuth 2.1 draft-15 §10.2 "
            "dropped redirect_uri from the token request, so this is no longer a MUST)",
            evidence=flow.exchanges,
            should=True,
        )
    if token is None:
        raise TargetError("the code of the redirect_uri mismatch was never redeemed")
    require_answered(token)
    require_sanity(ev.sanity, after="the mismatching redirect_uri")
    return f"refused: {_summary(token)}"


@check(
    "token.no-store",
    level=Level.MUST,
    severity=Severity.MEDIUM,
    refs=("OAuth 2.1 §3.2.3", "RFC 6749 §5.1"),
)
def no_store(ev: TokenProbes) -> str:
    """Token responses carry Cache-Control: no-store."""
    successes = [f.token for f in (ev.first, ev.sanity) if f.token and f.token.tokens]
    if not successes:
        require_flow(ev.sanity, "no token response succeeded")
        raise TargetError(f"no token response succeeded: {ev.sanity.problem}")
    cacheable = [
        t for t in successes if "no-store" not in (t.response.header("cache-control") or "").lower()
    ]
    if cacheable:
        shown = cacheable[0].response.header("cache-control")
        raise CheckFailed(
            expected="Cache-Control: no-store",
            actual=f"Cache-Control: {shown}" if shown else "no Cache-Control header",
            evidence=[t.response.exchange for t in cacheable],
        )
    return f"Cache-Control: no-store on {len(successes)} token responses"


@check(
    "token.error-format",
    level=Level.MUST,
    severity=Severity.LOW,
    refs=("OAuth 2.1 §3.2.4", "RFC 6749 §5.2", "RFC 8707 §2"),
)
def error_format(ev: TokenErrorProbes) -> str:
    """Errors are JSON with a registered error code and a 400 or 401 status."""
    problems = []
    for attempt in ev.attempts:
        response = attempt.token.response
        if response.status in BUSY:
            raise TargetError(f"{attempt.label}: the token endpoint answered {response.status}")
        document = response.json_object()
        error = document.get("error") if document is not None else None
        if attempt.token.tokens is not None:
            problems.append(f"{attempt.label}: tokens were issued")
        elif document is None:
            problems.append(f"{attempt.label}: {response.summary()} is not a JSON object")
        elif not isinstance(error, str) or error not in TOKEN_ERROR_CODES:
            problems.append(f"{attempt.label}: error={error!r} is not a registered code")
        elif response.status != 400 and not (response.status == 401 and error == "invalid_client"):
            problems.append(f"{attempt.label}: HTTP {response.status} for error={error}")
    if problems:
        raise CheckFailed(
            expected="400 (401 for invalid_client) with a JSON object whose error is a "
            "registered code",
            actual="; ".join(problems),
            evidence=ev.exchanges,
        )
    return "; ".join(f"{a.label}: {a.token.response.summary()}" for a in ev.attempts)


@check(
    "token.resource-audience",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=("RFC 8707 §2", f"{MCP} §Token Audience Binding and Validation"),
)
def resource_audience(ev: AudienceProbes) -> str:
    """A token requested with resource=R works at R, and one requested for another does not."""
    require_flow(ev.own, f"the unmutated flow for {ev.resource} failed")
    own = require_judged(ev.own_at_resource, f"the token requested for {ev.resource}")
    if not own.accepted:
        raise CheckFailed(
            expected=f"a token requested with resource={ev.resource} accepted there",
            actual=own.describe(),
            evidence=ev.exchanges,
        )
    if not ev.foreign.ok:
        return _foreign_refused(ev)
    foreign = require_judged(ev.foreign_at_resource, f"the token requested for {ev.other}")
    if not foreign.accepted:
        return (
            f"works at {ev.resource}; a token for {ev.other} was refused there "
            f"({foreign.describe()})"
        )
    aud = ev.foreign_audience
    shown = ", ".join(aud) if aud else "none"
    evidence = (*ev.foreign.exchanges, *((foreign.exchange,) if foreign.exchange else ()))
    expected = f"a token requested for {ev.other} ({ev.other_source}) refused at {ev.resource}"
    if aud is not None and ev.other not in aud:
        raise CheckFailed(
            expected=expected,
            actual=f"accepted: the AS issued the token requested for {ev.other} with aud={shown}, "
            "which provably names another audience, and the MCP server took it (a token a "
            "client obtained for another resource works here)",
            evidence=evidence,
        )
    if aud is not None and ev.resource not in aud:
        raise CheckFailed(
            expected=expected,
            actual=f"accepted: the MCP server took a token whose aud={shown} does not name it",
            evidence=evidence,
        )
    known = (
        f"its aud={shown} names {ev.other} and {ev.resource} alike"
        if aud is not None
        else "its audience cannot be read (not a JWT with aud), so the AS ignoring resource "
        "and the MCP server not checking the audience cannot be told apart"
    )
    raise CheckFailed(
        expected=expected + " (RFC 8707 §2: audience-restrict to the requested resource)",
        actual=f"accepted; {known}: the AS ignores resource (RFC 8707 §2 audience restriction "
        "is SHOULD)",
        evidence=evidence,
        should=True,
    )


NOT_JUDGED = frozenset({"server_error", "temporarily_unavailable"})


def _foreign_refused(ev: AudienceProbes) -> str:
    """No token for the other resource: a pass only when the AS refused it for that reason."""
    flow = ev.foreign
    require_answered(flow.navigation, flow.token)
    prefix = f"works at {ev.resource}; no token was issued for {ev.other} ({ev.other_source})"
    token = flow.token
    if token is not None and token.tokens is None and token.error == "invalid_target":
        return f"{prefix}: the token endpoint refused it ({_summary(token)})"
    # The unmutated flow worked and only `resource` differs: a crash of the token endpoint
    # refuses the resource, in the wrong form.
    if token is not None and token.tokens is None and token.response.status in {500, 502}:
        raise CheckFailed(
            expected="400 invalid_target for a resource the AS does not serve (RFC 8707 §2)",
            actual=f"the token endpoint refused it with {_summary(token)}",
            evidence=(token.response.exchange,),
            should=True,
        )
    response = flow.navigation.response
    if token is None and response is not None and response.error not in {None, *NOT_JUDGED}:
        return f"{prefix}: the authorization request was refused (error={response.error})"
    page = flow.navigation.page
    if (
        token is None
        and response is None
        and page is not None
        and 400 <= page.status < 500
        and "invalid_target" in page.text
    ):
        return f"{prefix}: the authorization endpoint refused it ({page.summary()}, invalid_target)"
    raise TargetError(
        f"{prefix}, but not by a refusal of the resource (invalid_target or an error redirect): "
        f"{flow.problem}; this proves nothing about audience binding"
    )


CHECKS = (
    code_single_use,
    code_bound_client,
    redirect_uri_match,
    no_store,
    error_format,
    resource_audience,
)
