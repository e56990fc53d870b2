"""client.* on how the client uses its tokens: a bearer on every request, never in a URL, a
recovery after a refused token, and bounded retries (observed traffic; see `client`)."""

from __future__ import annotations

from harness.checks.base import check
from harness.errors import CheckFailed, NotApplicable
from harness.results import Level, Severity
from harness.traffic import Kind, Observed, ObservedClient, shown

MCP = "MCP 2025-11-25 Authorization"
MAX_RETRIES = 3  # "no more than a few times" (MCP 2025-11-25 §Scope Challenge Handling)
FAILED = frozenset({401, 403, 429, 500, 502, 503, 504})


def _first_token(ev: ObservedClient) -> Observed | None:
    """The first exchange after which the client holds a token (issued, or first presented)."""
    return next(
        (o for o in ev.observed if o.issued("access_token") or (o.kind is Kind.MCP and o.bearer)),
        None,
    )


@check(
    "client.bearer-every-request",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=(f"{MCP} §Token Requirements", "OAuth 2.1 §5.1.1"),
)
def bearer_every_request(ev: ObservedClient) -> str:
    """Once it holds a token, the client sends it on every MCP request."""
    first = _first_token(ev)
    if first is None:
        raise NotApplicable("the client never obtained or presented a token through the proxy")
    later = [o for o in [first, *ev.after(first)] if o.kind is Kind.MCP]
    bare = [o for o in later if not o.bearer]
    if bare:
        raise CheckFailed(
            expected="Authorization: Bearer on every MCP request after the token exchange",
            actual=f"{len(bare)} of {len(later)} MCP request(s) without it, first "
            + bare[0].describe(),
            evidence=shown(bare),
        )
    if not later:
        raise NotApplicable("the client sent no MCP request after obtaining its token")
    return f"{len(later)} MCP request(s), each with a bearer token"


@check(
    "client.no-query-token",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=(f"{MCP} §Token Requirements", "OAuth 2.1 §5.1.1"),
)
def no_query_token(ev: ObservedClient) -> str:
    """The client never puts an access token in a URL's query string."""
    leaked = [o for o in ev.observed if "access_token" in o.query]
    if leaked:
        raise CheckFailed(
            expected="tokens only in the Authorization header",
            actual=f"access_token in the query of {leaked[0].describe()}",
            evidence=shown(leaked),
        )
    presented = [o for o in ev.of(Kind.MCP) if o.bearer]
    if not presented:
        raise NotApplicable("the client presented no token through the proxy")
    return f"{len(presented)} authenticated request(s), none with a token in the URL"


def _rejections(ev: ObservedClient) -> list[Observed]:
    return [o for o in ev.of(Kind.MCP) if o.bearer and o.status == 401]


@check(
    "client.recovers-from-401",
    level=Level.SHOULD,
    severity=Severity.MEDIUM,
    refs=(f"{MCP} §Token Handling", "RFC 6750 §3.1", "OAuth 2.1 §4.3"),
)
def recovers_from_401(ev: ObservedClient) -> str:
    """After its token is refused (401), the client refreshes or re-authorizes and goes on."""
    rejected = _rejections(ev)
    if not rejected:
        raise NotApplicable("no request with a token was answered 401, so recovery was not needed")
    first = rejected[0]
    later = ev.after(first)
    renewals = [
        o
        for o in later
        if o.kind is Kind.AUTHORIZE or (o.kind is Kind.TOKEN and o.issued("access_token"))
    ]
    recovered = [
        o for o in later if o.kind is Kind.MCP and o.ok and o.bearer and o.bearer != first.bearer
    ]
    if renewals and recovered:
        how = "refresh" if renewals[0].form.get("grant_type") == "refresh_token" else "new login"
        return f"recovered from {first.describe()} by {how}"
    stale = [o for o in later if o.kind is Kind.MCP and o.bearer == first.bearer]
    actual = (
        f"the refused token was presented again {len(stale)} time(s)"
        if stale
        else "no refresh or new authorization led to an accepted request"
        + ("" if later else " (nothing more was sent)")
    )
    raise CheckFailed(
        expected="a refresh or new authorization, then an accepted request",
        actual=f"after {first.describe()}: {actual}",
        evidence=shown([first, *later][:6]),
    )


def _signature(item: Observed) -> tuple[str, str, str | None, str]:
    request = item.exchange.request
    return (request.method, request.url, item.bearer, request.body_excerpt)


def _retry_after(item: Observed) -> float | None:
    value = item.header("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


@check(
    "client.no-retry-storm",
    level=Level.SHOULD,
    severity=Severity.MEDIUM,
    refs=(f"{MCP} §Scope Challenge Handling", "RFC 9110 §10.2.3", "RFC 6585 §4"),
)
def no_retry_storm(ev: ObservedClient) -> str:
    """A failed request is retried a few times at most, and never before its Retry-After."""
    failed = [o for o in ev.observed if o.status in FAILED]
    run: list[Observed] = []
    for item in ev.observed:
        if run and _signature(item) != _signature(run[0]):
            run = []
        if item.status in FAILED:
            run.append(item)
            if len(run) > MAX_RETRIES + 1:
                raise CheckFailed(
                    expected=f"at most {MAX_RETRIES} retries of a failed request",
                    actual=f"{len(run)} identical failed requests: {item.describe()}",
                    evidence=shown(run),
                )
        else:
            run = []
    for item in failed:
        wait = _retry_after(item)
        if wait is None or item.at is None:
            continue
        again = next((o for o in ev.after(item) if o.url == item.url), None)
        if again is not None and again.at is not None and again.at - item.at < wait * 0.9:
            raise CheckFailed(
                expected=f"no new request to {item.url} for {wait:g} s (Retry-After)",
                actual=f"retried after {again.at - item.at:.2f} s",
                evidence=shown([item, again]),
            )
    # the 401 that starts discovery is how the flow begins, not a failure to retry
    retried = [o for o in failed if o.bearer or o.status != 401]
    if not retried:
        raise NotApplicable("no request failed, so the client's retries were not exercised")
    return f"{len(retried)} failed request(s), none retried beyond {MAX_RETRIES} times"


CHECKS = ()  # the engine plans none of these: they judge observed traffic
OBSERVED = (bearer_every_request, no_query_token, recovers_from_401, no_retry_storm)
