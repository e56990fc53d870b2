"""rs.*: token validation at the MCP server (revoked, foreign, forged and misdirected tokens),
session follow-ups without a token, and foreign origins."""

from __future__ import annotations

from collections.abc import Sequence

from harness.checks.base import check
from harness.errors import CheckFailed, NotApplicable, TargetError
from harness.probes.resource.evidence import Attempt, exchanges_of
from harness.probes.resource.token_evidence import (
    AudienceSwapProbe,
    FollowUpProbes,
    ForgeryProbes,
    OriginProbe,
    RevokedProbe,
)
from harness.results import Level, Severity

MCP = "MCP 2025-11-25 Authorization"
JWT_BCP = "RFC 8725 (JWT BCP)"
ACCEPTABLE_REFUSALS = frozenset({400, 401})  # a forged token may be called malformed (400)


def _refused(attempts: Sequence[Attempt], *, what: str) -> str:
    """Every attempt refused with 401 (or 400). Accepted is the finding. A 5xx or another 4xx
    let nothing in, so here it is a SHOULD-level finding (the wrong status misleads clients);
    rs.garbage-token and rs.no-5xx judge the status codes themselves."""
    let_in = [a for a in attempts if a.accepted]
    if let_in:
        raise CheckFailed(
            expected=f"401 for {what}",
            actual="; ".join(a.describe() for a in let_in),
            evidence=exchanges_of(let_in),
        )
    unreachable = [a for a in attempts if a.status is None]
    if unreachable and len(unreachable) == len(attempts):
        raise TargetError(f"no answer to any request: {unreachable[0].describe()}")
    odd = [a for a in attempts if a.status is not None and a.status not in ACCEPTABLE_REFUSALS]
    if odd:
        raise CheckFailed(
            expected=f"401 for {what}",
            actual="; ".join(a.describe() for a in odd),
            evidence=exchanges_of(odd),
            should=True,
        )
    return f"{len(attempts)} refused ({', '.join(sorted({str(a.status) for a in attempts}))})"


def _no_fetches(fetches: Sequence[str], attempts: Sequence[Attempt], *, expected: str) -> None:
    """Requests a refused token made the server send: a SHOULD-level finding of its own."""
    if fetches:
        raise CheckFailed(
            expected=expected,
            actual="the token was refused, but the server fetched " + ", ".join(fetches),
            evidence=exchanges_of(attempts),
            should=True,
        )


def _forgeries(ev: ForgeryProbes, family: tuple[Attempt, ...], *, jwt: bool = True) -> None:
    if not ev.control.accepted:
        raise TargetError(
            f"the real token itself was refused ({ev.control.describe()}); forged tokens "
            "cannot be told apart from a broken setup"
        )
    if jwt and ev.shape != "jwt":
        kind = "encrypted (JWE)" if ev.shape == "jwe" else "opaque, not a JWT"
        raise NotApplicable(f"the access token is {kind}; this check applies to JWT access tokens")
    if not family:
        raise NotApplicable("no forged token of this kind could be built from the access token")


@check(
    "rs.revoked",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=("OAuth 2.1 §5.2", "RFC 7009 §2", f"{MCP} §Token Handling"),
)
def revoked(ev: RevokedProbe) -> str:
    """A revoked token (RFC 7009) gets 401."""
    if ev.after.status is None:
        raise TargetError(f"no answer after revocation: {ev.after.describe()}")
    if ev.after.status == 401:
        return "revoked token refused immediately after revocation"
    expected = "401 for a token revoked at the authorization server"
    actual = f"{ev.after.describe()} (immediately after revocation answered {ev.revocation.status})"
    if not ev.after.accepted:
        raise CheckFailed(expected=expected, actual=actual, evidence=ev.exchanges, should=True)
    if ev.shape != "opaque":
        # RFC 7009 §2: revoking access tokens is a SHOULD for the authorization server, and a
        # self-contained token validated locally cannot show a revocation before it expires.
        kind = "an encrypted (JWE)" if ev.shape == "jwe" else "a JWT"
        raise CheckFailed(
            expected=expected,
            actual=actual,
            evidence=ev.exchanges,
            message=(
                f"expected {expected}; got {actual}. The access token is {kind}, self-contained: "
                "a resource server validating it locally cannot see the revocation, which only "
                "reaches it if it introspects (RFC 7662) or the token expires. RFC 7009 §2 makes "
                "revoking access tokens a SHOULD, so this is a warning: introspect tokens, or keep "
                "their lifetime short"
            ),
            should=True,
        )
    raise CheckFailed(
        expected=expected,
        actual=f"{actual}; the token is opaque, so the server must look it up at the "
        "authorization server (introspection), and still accepted it once revoked",
        evidence=ev.exchanges,
    )


@check(
    "rs.wrong-audience",
    level=Level.MUST,
    severity=Severity.CRITICAL,
    refs=(f"{MCP} §Token Audience Binding and Validation", "RFC 8707 §2", "RFC 9068 §4"),
)
def wrong_audience(ev: AudienceSwapProbe) -> str:
    """A token issued for another resource gets 401."""
    at_other = ev.at_other
    if at_other is None:
        return _made_up_audience(ev)
    audience = {a.rstrip("/") for a in ev.audience or ()}
    if ev.resource.rstrip("/") in audience:
        raise NotApplicable(
            f"the authorization server issued the token for this resource anyway (aud "
            f"{sorted(audience)}), so it is no wrong-audience token; see token.resource-audience"
        )
    known = bool(audience)  # a JWT `aud` that excludes this resource
    if not known:
        if ev.at_target.accepted or (ev.at_target.status or 0) >= 500:
            raise NotApplicable(
                f"the token asked for {ev.other} has no readable audience (opaque, or a JWT "
                f"without aud), so nothing shows the authorization server honoured "
                f"resource={ev.other}; its answer here ({ev.at_target.describe()}) proves no "
                "missing audience check. See token.resource-audience"
            )
        if ev.at_target.status is not None and not at_other.accepted:
            raise NotApplicable(
                f"the token asked for {ev.other} has no readable audience and was refused at "
                f"that resource too ({at_other.describe()}), so its refusal here proves no "
                "audience check"
            )
    verdict = _refused((ev.at_target,), what=f"a token issued for {ev.other}")
    control = (
        "it works there"
        if at_other.accepted
        else f"the control at that resource answered {at_other.status}"
    )
    shown = f"aud {sorted(audience)}" if known else "audience unknown"
    return f"token for {ev.other} ({shown}) refused: {verdict}; {control}"


def _made_up_audience(ev: AudienceSwapProbe) -> str:
    """No `[target].other_resource`: the token asked for a made-up resource judges the audience
    check only when its readable `aud` proves it is not for this resource."""
    audience = sorted({a.rstrip("/") for a in ev.audience or ()})
    if not audience or ev.resource.rstrip("/") in audience:
        shown = (
            f"its aud {audience} names this resource (the authorization server did not honour "
            "resource=)"
            if audience
            else "its audience cannot be read (opaque, or a JWT without aud)"
        )
        raise NotApplicable(
            f"the token requested for the made-up resource {ev.other} proves no foreign "
            f"audience: {shown}; set [target].other_resource to another MCP server (resource) "
            "of the same authorization server"
        )
    verdict = _refused((ev.at_target,), what=f"a token whose aud {audience} excludes this resource")
    return f"a token for the made-up resource {ev.other} (aud {audience}) refused: {verdict}"


@check(
    "rs.foreign-issuer",
    level=Level.MUST,
    severity=Severity.CRITICAL,
    refs=(f"{MCP} §Token Handling", f"{JWT_BCP} §3.8", "RFC 9068 §4"),
)
def foreign_issuer(ev: ForgeryProbes) -> str:
    """A well-formed token signed by an issuer not in PRM gets 401."""
    _forgeries(ev, ev.foreign_issuer, jwt=False)
    verdict = _refused(ev.foreign_issuer, what="a token from an issuer the resource does not trust")
    _no_fetches(
        ev.issuer_fetches,
        ev.foreign_issuer,
        expected="no request to the issuer a token names before the issuer is trusted",
    )
    return f"harness-issued tokens {verdict}"


@check(
    "rs.jwt.alg-none",
    level=Level.MUST,
    severity=Severity.CRITICAL,
    refs=(f"{JWT_BCP} §2.1, §3.1", "RFC 7519 §6"),
)
def jwt_alg_none(ev: ForgeryProbes) -> str:
    """(JWT tokens) An unsigned token (alg none) gets 401."""
    _forgeries(ev, ev.alg_none)
    return "unsigned tokens " + _refused(ev.alg_none, what='a token with alg "none"')


@check(
    "rs.jwt.tampered",
    level=Level.MUST,
    severity=Severity.CRITICAL,
    refs=(f"{JWT_BCP} §3.3", "RFC 7515 §5.2"),
)
def jwt_tampered(ev: ForgeryProbes) -> str:
    """(JWT tokens) Edited claims under the old signature, or a stripped signature, get 401."""
    _forgeries(ev, ev.tampered)
    return "tampered tokens " + _refused(ev.tampered, what="a token whose signature does not match")


@check(
    "rs.jwt.alg-confusion",
    level=Level.MUST,
    severity=Severity.CRITICAL,
    refs=(f"{JWT_BCP} §2.1, §3.1", "CVE-2015-9235"),
)
def jwt_alg_confusion(ev: ForgeryProbes) -> str:
    """(JWT tokens) HS256 signed with the AS public key gets 401."""
    if ev.shape == "jwt" and not ev.alg_confusion and ev.alg_confusion_absent:
        raise NotApplicable(f"no key to confuse: {ev.alg_confusion_absent}")
    _forgeries(ev, ev.alg_confusion)
    return "HS256 tokens keyed with the public key " + _refused(
        ev.alg_confusion, what="HS256 keyed with the AS public key"
    )


@check(
    "rs.jwt.header-key",
    level=Level.MUST,
    severity=Severity.CRITICAL,
    refs=(
        f"{JWT_BCP} §3.1, §3.10",
        "RFC 7515 §4.1.2-§4.1.5",
        "security-checks jwt.embedded-key, jwt.kid-injection",
    ),
)
def jwt_header_key(ev: ForgeryProbes) -> str:
    """(JWT tokens) Tokens naming their own key (embedded jwk, jku / x5u URL, kid as a path or
    query with an empty HS256 key) get 401, and the server fetches no URL a token names."""
    _forgeries(ev, ev.header_key)
    unanswered = [a for a in ev.header_key if a.status is None]
    if unanswered:  # a sub-case without an answer was not exercised: no pass
        raise TargetError(
            "a header-key forgery got no answer: " + "; ".join(a.describe() for a in unanswered)
        )
    let_in = [a for a in ev.header_key if a.accepted]
    if let_in:
        fetched = f"; the server fetched {', '.join(ev.key_fetches)}" if ev.key_fetches else ""
        raise CheckFailed(
            expected="401 for a token naming its own key in the header",
            actual="; ".join(a.describe() for a in let_in) + fetched,
            evidence=exchanges_of(let_in),
        )
    verdict = _refused_header_keys(ev.header_key)
    # RFC 8725 §3.10: following a token's jku / x5u is an SSRF vector; allowlisting is a SHOULD
    _no_fetches(
        ev.key_fetches,
        ev.header_key,
        expected="no request to a jku / x5u URL a token names (RFC 8725 §3.10)",
    )
    return f"tokens naming their own key {verdict}; no jku / x5u URL fetched"


def _refused_header_keys(attempts: Sequence[Attempt]) -> str:
    """A 5xx lets nothing in (not a broken MUST), but on a `kid` forgery it suggests the kid
    reached a file, query or shell unsanitised (RFC 8725 §3.10): a warning that says so."""
    crashed = [a for a in attempts if (a.status or 0) >= 500 and a.label.startswith("kid:")]
    if crashed:
        raise CheckFailed(
            expected="401 for a token whose kid is a path or carries injection characters",
            actual="; ".join(a.describe() for a in crashed)
            + " (a server error on a crafted kid suggests the kid reaches a file, query or "
            "command unsanitised, RFC 8725 §3.10)",
            evidence=exchanges_of(crashed),
            should=True,
        )
    return _refused(attempts, what="a token naming its own key in the header")


@check(
    "rs.every-request",
    level=Level.MUST,
    severity=Severity.CRITICAL,
    refs=(
        f"{MCP} §Token Requirements",
        "MCP 2025-11-25 Security Best Practices §Session Hijacking",
    ),
)
def every_request(ev: FollowUpProbes) -> str:
    """Follow-up requests that carry a session id but no token get 401."""
    let_in = [f for f in ev.follow_ups if f.status is not None and f.status // 100 == 2]
    if let_in:
        raise CheckFailed(
            expected="401 for every request without a token, even on an open session",
            actual="; ".join(f.describe() for f in let_in),
            evidence=tuple(e for f in let_in for e in f.exchanges),
        )
    after = ev.afterwards
    if after.status == 401:
        raise TargetError(
            f"the token stopped working during the probe ({after.describe()}); was it short-lived?"
        )
    if after.status is None or after.status == 429 or after.status >= 500:
        raise TargetError(
            "the session could not be tried with the token afterwards (rate limited, a server "
            f"error or no answer), so whether the token-less requests harmed it is unknown: "
            f"{after.describe()}"
        )
    if not after.served:
        raise CheckFailed(
            expected="the session unaffected by requests without a token",
            actual=f"afterwards, with the token: {after.describe()}",
            evidence=ev.exchanges,
        )
    unanswered = [f for f in ev.follow_ups if f.status is None or f.status == 429]
    if unanswered:
        raise TargetError(
            "a follow-up without a token got no usable answer (rate limited or unreachable), so "
            "it was not exercised: " + "; ".join(f.describe() for f in unanswered)
        )
    failing = [f for f in ev.follow_ups if f.status is not None and f.status >= 500]
    if failing:
        raise CheckFailed(
            expected="401 for every request without a token, even on an open session",
            actual="; ".join(f.describe() for f in failing) + " (a server error lets nothing in, "
            "but it is no 401 a client can act on)",
            evidence=tuple(e for f in failing for e in f.exchanges),
            should=True,
        )
    statuses = ", ".join(f"{f.label.split(' without')[0]} {f.status}" for f in ev.follow_ups)
    carried = "with the session id" if ev.session_issued else "(the server issues no session id)"
    return f"follow-ups without a token {carried} refused: {statuses}"


@check(
    "rs.origin",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=(
        "MCP 2025-11-25 Transports §Security Warning",
        "MCP 2025-11-25 Transports §Streamable HTTP",
    ),
)
def origin(ev: OriginProbe) -> str:
    """A request with a foreign Origin gets 403."""
    if not ev.control.accepted:
        raise TargetError(f"the valid token itself was refused ({ev.control.describe()})")
    foreign = ev.foreign
    if foreign.status is None:
        raise TargetError(f"no answer to the foreign-origin request: {foreign.describe()}")
    if foreign.accepted or foreign.status >= 500:
        raise CheckFailed(
            expected=f"403 for Origin: {ev.origin} (DNS rebinding protection)",
            actual=foreign.describe(),
            evidence=ev.exchanges,
        )
    if foreign.status != 403:
        raise CheckFailed(
            expected=f"403 for Origin: {ev.origin}",
            actual=foreign.describe(),
            evidence=ev.exchanges,
            should=True,
        )
    return f"Origin: {ev.origin} refused with 403"


CHECKS = (
    revoked,
    wrong_audience,
    foreign_issuer,
    jwt_alg_none,
    jwt_tampered,
    jwt_alg_confusion,
    jwt_header_key,
    every_request,
    origin,
)
