"""rs.*: bearer token handling at the MCP server (presence, format, scheme, expiry)."""

from __future__ import annotations

from harness.checks.base import check
from harness.errors import CheckFailed, NotApplicable, TargetError
from harness.oauth.wwwauth import find_bearer, parse_www_authenticate
from harness.probes.rs_evidence import (
    Attempt,
    BearerProbes,
    ExpiredProbe,
    ValidTokenProbes,
    exchanges_of,
)
from harness.results import Level, Severity

MCP = "MCP 2025-11-25 Authorization"
REFUSALS = frozenset({400, 401, 413, 431})  # malformed credentials may be a 400; huge ones 413/431


def _valid(ev: BearerProbes) -> ValidTokenProbes:
    """The valid-token attempts, once the valid token is shown to work when presented right."""
    if ev.valid is None:
        raise NotApplicable(
            f"needs a valid token, which could not be obtained: {ev.no_token_reason}"
        )
    if not ev.valid.control.accepted:
        raise TargetError(
            f"the valid token itself was refused ({ev.valid.control.describe()}); "
            "bearer checks cannot tell a refusal from a broken setup"
        )
    return ev.valid


@check(
    "rs.no-token",
    level=Level.MUST,
    severity=Severity.CRITICAL,
    refs=(f"{MCP} §Token Handling", "OAuth 2.1 §5.3"),
)
def no_token(ev: BearerProbes) -> str:
    """Every MCP method and HTTP verb without a token gets 401, with no effect."""
    notes = []
    for verb in ev.verbs:
        bare, authed = verb.without_token, verb.with_token
        shown = exchanges_of(a for a in (bare, authed) if a is not None)
        if bare.status == 401:
            continue
        if bare.status is None:
            notes.append(f"{bare.label}: the connection failed ({bare.error})")
            continue
        if not 400 <= bare.status < 500:
            raise CheckFailed(
                expected="401 without a token", actual=bare.describe(), evidence=shown
            )
        if authed is not None and bare.status != authed.status:
            raise CheckFailed(
                expected="401 without a token",
                actual=f"{bare.describe()} (with a valid token: {authed.status})",
                evidence=shown,
            )
        same = "with and without a token" if authed is not None else "without a token"
        notes.append(f"{bare.label} answered {bare.status} {same}")
    return "401 for every verb without a token" + (f" ({'; '.join(notes)})" if notes else "")


@check(
    "rs.garbage-token",
    level=Level.MUST,
    severity=Severity.CRITICAL,
    refs=("OAuth 2.1 §5.1.1, §5.3.2", f"{MCP} §Token Handling"),
)
def garbage_token(ev: BearerProbes) -> str:
    """Malformed, empty, huge and odd-character tokens get 401 (never 2xx, never 5xx)."""
    for attempt in (*ev.garbage, ev.invalid):
        if attempt.status is None:
            continue  # refused at the transport level: nothing was granted
        if attempt.status not in REFUSALS:
            raise CheckFailed(
                expected="401 (or 400 for a malformed header)",
                actual=attempt.describe(),
                evidence=exchanges_of((attempt,)),
            )
    return f"{len(ev.garbage) + 1} malformed or unknown tokens refused"


@check(
    "rs.invalid-token-challenge",
    level=Level.SHOULD,
    severity=Severity.MEDIUM,
    refs=("RFC 6750 §3.1", "OAuth 2.1 §5.3.2", "RFC 9728 §5.1"),
)
def invalid_token_challenge(ev: BearerProbes) -> str:
    """A 401 for a bad token says error="invalid_token" and names resource_metadata."""
    attempt = ev.invalid
    if attempt.response is None or attempt.status != 401:
        raise CheckFailed(
            expected="401 for an unknown token",
            actual=attempt.describe(),
            evidence=exchanges_of((attempt,)),
        )
    bearer = find_bearer(parse_www_authenticate(attempt.response.header_all("www-authenticate")))
    if bearer is None:
        raise CheckFailed(
            expected="a Bearer challenge", actual="none", evidence=exchanges_of((attempt,))
        )
    missing = []
    if bearer.params.get("error") != "invalid_token":
        missing.append('error="invalid_token"')
    if "resource_metadata" not in bearer.params:
        missing.append("resource_metadata")
    if missing:
        raise CheckFailed(
            expected=" and ".join(missing) + " in the challenge",
            actual=f"WWW-Authenticate: {attempt.response.header('www-authenticate')}",
            evidence=exchanges_of((attempt,)),
        )
    return 'error="invalid_token" with resource_metadata'


@check(
    "rs.expired",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=(f"{MCP} §Token Handling", "OAuth 2.1 §5.2"),
)
def expired(ev: ExpiredProbe) -> str:
    """An expired token gets 401."""
    if ev.attempt.status != 401:
        raise CheckFailed(
            expected="401 for an expired token",
            actual=f"{ev.attempt.describe()} ({ev.how})",
            evidence=ev.exchanges,
        )
    return f"expired token refused ({ev.how})"


@check(
    "rs.query-token",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=("OAuth 2.1 §5.1", f"{MCP} §Token Requirements"),
)
def query_token(ev: BearerProbes) -> str:
    """A valid token in `?access_token=` is not accepted."""
    query = _valid(ev).query_token
    if query.accepted:
        raise CheckFailed(
            expected="the query-string token to be ignored (401)",
            actual=query.describe(),
            evidence=exchanges_of((query,)),
        )
    return f"query-string token ignored ({query.status})"


@check(
    "rs.wrong-scheme",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=("OAuth 2.1 §5.1.1", "RFC 6750 §2.1"),
)
def wrong_scheme(ev: BearerProbes) -> str:
    """A valid token under `Basic`, `Token` or no scheme is not accepted."""
    attempts = _valid(ev).wrong_scheme
    accepted = [a for a in attempts if a.accepted]
    if accepted:
        raise CheckFailed(
            expected="401 for a token presented without the Bearer scheme",
            actual="; ".join(a.describe() for a in accepted),
            evidence=exchanges_of(accepted),
        )
    return "refused: " + ", ".join(a.label for a in attempts)


@check(
    "rs.scheme-case",
    level=Level.MUST,
    severity=Severity.LOW,
    refs=("RFC 9110 §11.1", "OAuth 2.1 §5.1.1"),
)
def scheme_case(ev: BearerProbes) -> str:
    """The `Bearer` scheme is accepted in any letter case."""
    attempts = _valid(ev).scheme_case
    refused = [a for a in attempts if not a.accepted]
    if refused:
        raise CheckFailed(
            expected="the auth scheme to be matched case-insensitively",
            actual="; ".join(a.describe() for a in refused),
            evidence=exchanges_of(refused),
        )
    return "accepted: " + ", ".join(a.label for a in attempts)


@check(
    "rs.no-5xx",
    level=Level.MUST,
    severity=Severity.MEDIUM,
    refs=("OAuth 2.1 §5.3", "RFC 6750 §3.1"),
)
def no_5xx(ev: BearerProbes) -> str:
    """No authentication failure produces a 5xx."""
    crashed: list[Attempt] = [a for a in ev.all_attempts if (a.status or 0) >= 500]
    if crashed:
        raise CheckFailed(
            expected="4xx for every authentication failure",
            actual="; ".join(a.describe() for a in crashed),
            evidence=exchanges_of(crashed),
        )
    return f"{len(ev.all_attempts)} requests, none answered 5xx"


CHECKS = (
    no_token,
    garbage_token,
    invalid_token_challenge,
    expired,
    query_token,
    wrong_scheme,
    scheme_case,
    no_5xx,
)
