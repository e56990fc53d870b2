"""rs.*: bearer token handling at the MCP server (presence, format, scheme, expiry)."""

from __future__ import annotations

from harness.checks.base import check
from harness.errors import CheckFailed, NotApplicable, TargetError
from harness.oauth.wwwauth import find_bearer, parse_www_authenticate
from harness.probes.resource.evidence import (
    Attempt,
    BearerProbes,
    ExpiredProbe,
    ValidTokenProbes,
    exchanges_of,
)
from harness.results import Level, Severity

MCP = "MCP 2025-11-25 Authorization"
# Malformed credentials may be answered 400, huge ones 413/431.
REFUSALS = frozenset({400, 401, 413, 431})
# The server declined to answer: nothing can be judged.
RATE_LIMITED = frozenset({429, 503})


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
    bare = [verb.without_token for verb in ev.verbs]
    if all(a.status is None for a in bare):
        raise TargetError(f"no answer to any request without a token: {bare[0].describe()}")
    limited = [a for a in bare if a.status in RATE_LIMITED]
    if limited:
        raise TargetError(f"rate limited, cannot judge: {limited[0].describe()}")
    granted = [a for a in bare if a.accepted]
    if granted:
        raise CheckFailed(
            expected="401 without a token",
            actual="; ".join(a.describe() for a in granted),
            evidence=exchanges_of(granted),
        )
    # Nothing was let in; a status other than 401 still hides the challenge clients need.
    odd = [v for v in ev.verbs if v.without_token.status not in {None, 401}]
    if odd:
        described = [
            v.without_token.describe()
            + (f" (with a valid token: {v.with_token.status})" if v.with_token else "")
            for v in odd
        ]
        raise CheckFailed(
            expected="401 without a token",
            actual="; ".join(described),
            evidence=exchanges_of(v.without_token for v in odd),
            should=True,
        )
    dropped = [a.label for a in bare if a.status is None]
    note = f" ({', '.join(dropped)}: no answer)" if dropped else ""
    return "401 for every verb without a token" + note


@check(
    "rs.garbage-token",
    level=Level.MUST,
    severity=Severity.CRITICAL,
    refs=("OAuth 2.1 §5.1.1, §5.3.2", f"{MCP} §Token Handling"),
)
def garbage_token(ev: BearerProbes) -> str:
    """Malformed, empty, huge and odd-character tokens get 401 (never 2xx, never 5xx)."""
    attempts = (*ev.garbage, ev.invalid)
    answered = [a for a in attempts if a.status is not None]
    if not answered:
        raise TargetError(f"no answer to any malformed token: {attempts[0].describe()}")
    limited = [a for a in answered if a.status in RATE_LIMITED]
    if limited:
        raise TargetError(f"rate limited, cannot judge: {limited[0].describe()}")
    let_in = [a for a in answered if a.accepted or (a.status or 0) >= 500]
    if let_in:
        raise CheckFailed(
            expected="401 (or 400 for a malformed header), never 2xx or 5xx",
            actual="; ".join(a.describe() for a in let_in),
            evidence=exchanges_of(let_in),
        )
    odd = [a for a in answered if a.status not in REFUSALS]
    if odd:  # refused, but with a status that misleads clients
        raise CheckFailed(
            expected="401 (or 400 for a malformed header)",
            actual="; ".join(a.describe() for a in odd),
            evidence=exchanges_of(odd),
            should=True,
        )
    dropped = len(attempts) - len(answered)
    note = f"; {dropped} dropped at the transport level" if dropped else ""
    return f"{len(answered)} malformed or unknown tokens refused{note}"


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
    failures = ev.failing_credentials
    crashed: list[Attempt] = [
        a for a in failures if (a.status or 0) >= 500 and a.status not in RATE_LIMITED
    ]
    if crashed:
        raise CheckFailed(
            expected="4xx for every authentication failure",
            actual="; ".join(a.describe() for a in crashed),
            evidence=exchanges_of(crashed),
        )
    return f"{len(failures)} requests without usable credentials, none answered 5xx"


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
