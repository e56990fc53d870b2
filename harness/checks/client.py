"""client.*: what a real client did on the wire, judged from traffic the proxy observed.

These checks judge the client, not the server: their evidence is one client's recorded traffic
(`ObservedClient`), so the engine never plans them (they are `OBSERVED`, not `CHECKS`). A check
whose behaviour the traffic did not exercise is `skip` with what was missing, never `pass`.
"""

from __future__ import annotations

from harness.checks.base import check
from harness.errors import CheckFailed, NotApplicable
from harness.exchange import Exchange
from harness.oauth.wellknown import as_metadata_urls, canonical_resource_uri, prm_urls
from harness.results import Level, Severity
from harness.traffic import Kind, Observed, ObservedClient, upto

MCP = "MCP 2025-11-25 Authorization"
OMNIBUS = frozenset({"*", "all", "admin", "root", "full_access", "*:*"})
OFFLINE_ACCESS = "offline_access"
MAX_RETRIES = 3  # "no more than a few times" (MCP 2025-11-25 §Scope Challenge Handling)
MIN_STATE_CHARS = 8
FAILED = frozenset({401, 403, 429, 500, 502, 503, 504})


def _shown(items: list[Observed]) -> tuple[Exchange, ...]:
    return tuple(o.exchange for o in items)


def _authorizations(ev: ObservedClient) -> list[Observed]:
    found = ev.of(Kind.AUTHORIZE)
    if not found:
        raise NotApplicable("the client sent no authorization request through the proxy")
    return found


@check(
    "client.pkce-s256",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=(f"{MCP} §Authorization Code Protection", "OAuth 2.1 §4.1.1", "RFC 7636 §4.2"),
)
def pkce_s256(ev: ObservedClient) -> str:
    """Every authorization request carries an S256 code_challenge, every code a code_verifier."""
    authorizations = _authorizations(ev)
    weak = [
        a
        for a in authorizations
        if not a.query.get("code_challenge") or a.query.get("code_challenge_method") != "S256"
    ]
    if weak:
        shown = [f"code_challenge_method={w.query.get('code_challenge_method')!r}" for w in weak]
        raise CheckFailed(
            expected="code_challenge with code_challenge_method=S256",
            actual="; ".join(shown),
            evidence=_shown(weak),
        )
    redemptions = [t for t in ev.of(Kind.TOKEN) if t.form.get("grant_type") == "authorization_code"]
    unverified = [t for t in redemptions if not t.form.get("code_verifier")]
    if unverified:
        raise CheckFailed(
            expected="code_verifier with the code at the token endpoint",
            actual="no code_verifier",
            evidence=_shown(unverified),
        )
    return f"{len(authorizations)} authorization request(s) with S256"


@check(
    "client.state",
    level=Level.SHOULD,
    severity=Severity.MEDIUM,
    refs=(f"{MCP} §Authorization Flow Steps", "OAuth 2.1 §7.2.1", "RFC 6749 §10.12"),
)
def state(ev: ObservedClient) -> str:
    """Every authorization request carries a fresh, unguessable `state`."""
    authorizations = _authorizations(ev)
    values = [a.query.get("state", "") for a in authorizations]
    weak = [a for a, v in zip(authorizations, values, strict=True) if len(v) < MIN_STATE_CHARS]
    if weak:
        raise CheckFailed(
            expected=f"state of at least {MIN_STATE_CHARS} random characters",
            actual="; ".join(
                f"state={w.query['state']!r}" if "state" in w.query else "no state" for w in weak
            ),
            evidence=_shown(weak),
        )
    if len(set(values)) < len(values):
        raise CheckFailed(
            expected="a new state for each authorization request",
            actual="a state value was reused",
            evidence=_shown(authorizations),
        )
    return f"{len(values)} authorization request(s), each with its own state"


def _resources(ev: ObservedClient) -> set[str]:
    """What `resource` must be: the PRM `resource` the client read, else the MCP endpoint."""
    documented = {
        r
        for p in ev.of(Kind.PRM)
        if p.ok and isinstance(r := (p.document or {}).get("resource"), str)
    }
    return documented or {canonical_resource_uri(m.url) for m in ev.of(Kind.MCP)}


@check(
    "client.resource-param",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=(
        f"{MCP} §Resource Parameter Implementation",
        "RFC 8707 §2",
        f"{MCP} §Canonical Server URI",
    ),
)
def resource_param(ev: ObservedClient) -> str:
    """Authorization and token requests name the MCP server's canonical URI in `resource`."""
    requests = ev.of(Kind.AUTHORIZE) + [
        t
        for t in ev.of(Kind.TOKEN)
        if t.form.get("grant_type") in {"authorization_code", "refresh_token"}
    ]
    if not requests:
        raise NotApplicable("the client sent no authorization or token request through the proxy")
    expected = _resources(ev)
    if not expected:
        raise NotApplicable("no MCP endpoint or PRM resource was observed to compare with")
    missing, wrong, slashed = [], [], []
    for item in requests:
        value = item.query.get("resource") or item.form.get("resource")
        if not value:
            missing.append(item)
        elif value.rstrip("/") in expected and value not in expected:
            slashed.append(item)
        elif value not in expected or canonical_resource_uri(value) != value:
            wrong.append(item)
    if missing or wrong:
        bad = missing + wrong
        actual = "; ".join(
            f"{b.describe()}: resource={(b.query.get('resource') or b.form.get('resource'))!r}"
            for b in bad
        )
        raise CheckFailed(
            expected=f"resource={' or '.join(sorted(expected))}",
            actual=actual,
            evidence=_shown(bad),
        )
    if slashed:
        raise CheckFailed(
            expected=f"resource={' or '.join(sorted(expected))} (SHOULD omit a trailing slash)",
            actual="a trailing slash added",
            evidence=_shown(slashed),
            should=True,
        )
    return f"resource={' '.join(sorted(expected))} on {len(requests)} request(s)"


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
            evidence=_shown(bare),
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
            evidence=_shown(leaked),
        )
    presented = [o for o in ev.of(Kind.MCP) if o.bearer]
    if not presented:
        raise NotApplicable("the client presented no token through the proxy")
    return f"{len(presented)} authenticated request(s), none with a token in the URL"


def _prefix_of(fetched: list[Observed], expected: list[str]) -> Observed | None:
    """The first fetch, up to the first success, that is not the next untried URL of
    `expected` (a URL tried again, or listed twice, is no step out of order)."""
    tried: set[str] = set()
    position = 0
    for item in fetched:
        while position < len(expected) and expected[position] in tried:
            position += 1
        if item.url not in tried:
            if position >= len(expected) or item.url != expected[position]:
                return item
            position += 1
        tried.add(item.url)
        if item.ok:
            return None
    return None


def _discovery_began(ev: ObservedClient, first_fetch: Observed) -> bool:
    """Whether the capture holds what began this discovery: a 401 or the session's initialize."""
    return any(
        o.kind is Kind.MCP and (o.status == 401 or o.rpc_method == "initialize")
        for o in ev.before(first_fetch)
    )


def _prm_order(ev: ObservedClient, fetched: list[Observed]) -> list[str]:
    """The PRM URLs in the order the spec has the client try them."""
    order: list[str] = []
    for item in ev.of(Kind.MCP):
        challenge = item.challenge() if item.status == 401 else None
        named = challenge.param("resource_metadata") if challenge else None
        if named:
            order.append(named)
            break
    mcp = ev.of(Kind.MCP)
    if mcp:
        order += prm_urls(mcp[0].url)
    return order or [fetched[0].url]


@check(
    "client.discovery-order",
    level=Level.MUST,
    severity=Severity.MEDIUM,
    refs=(
        f"{MCP} §Protected Resource Metadata Discovery Requirements",
        f"{MCP} §Authorization Server Metadata Discovery",
        "RFC 9728 §5.1",
    ),
)
def discovery_order(ev: ObservedClient) -> str:
    """The client finds PRM from the challenge first, then the well-knowns, in the spec's order."""
    prm = ev.of(Kind.PRM)
    metadata = ev.of(Kind.AS_METADATA)
    if not prm and not metadata:
        raise NotApplicable("the client fetched no metadata through the proxy (cached, or gave up)")
    if metadata and not prm:
        if not _discovery_began(ev, metadata[0]):
            raise NotApplicable(
                "AS metadata fetched with no PRM, but the capture has no 401 or initialize "
                "before it: the client may have PRM cached (the proxy started mid-session)"
            )
        raise CheckFailed(
            expected="protected resource metadata (RFC 9728) before the authorization server's",
            actual=f"no PRM fetched; first metadata fetch {metadata[0].describe()}",
            evidence=_shown(metadata[:3]),
        )
    order = _prm_order(ev, prm)
    off = _prefix_of(prm, order)
    if off is not None:
        raise CheckFailed(
            expected="PRM tried in the order " + " → ".join(order),
            actual="fetched " + " → ".join(p.url for p in upto(prm, off)),
            evidence=_shown(upto(prm, off)),
        )
    issuers = [s for p in prm for s in p.strings("authorization_servers")]
    if metadata and not any(p.ok for p in prm):
        raise CheckFailed(
            expected="the authorization server found through PRM (MCP 2025-06-18 and later)",
            actual="no PRM document found, then AS metadata at "
            + metadata[0].url
            + " (the 2025-03-26 fallback)",
            evidence=_shown([*prm, metadata[0]]),
            should=True,
        )
    if not metadata or not issuers:
        return f"PRM fetched in order ({len(prm)} request(s))"
    candidates = [[u.url for u in as_metadata_urls(issuer)] for issuer in issuers]
    for expected in candidates:
        if _prefix_of(metadata, expected) is None:
            return f"PRM then AS metadata, each in the spec's order ({len(prm) + len(metadata)})"
    raise CheckFailed(
        expected="AS metadata tried in the order " + " → ".join(candidates[0]),
        actual="fetched " + " → ".join(m.url for m in metadata[:4]),
        evidence=_shown(metadata[:4]),
    )


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
        evidence=_shown([first, *later][:6]),
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
                    evidence=_shown(run),
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
                evidence=_shown([item, again]),
            )
    # the 401 that starts discovery is how the flow begins, not a failure to retry
    retried = [o for o in failed if o.bearer or o.status != 401]
    if not retried:
        raise NotApplicable("no request failed, so the client's retries were not exercised")
    return f"{len(retried)} failed request(s), none retried beyond {MAX_RETRIES} times"


def _allowed(ev: ObservedClient, before: Observed) -> tuple[set[str], str] | None:
    """The scopes a least-privilege client may ask for at `before`, and where they come from."""
    earlier = ev.before(before)
    # the latest challenge rules (a challenge without scope sends the client to PRM's list)
    challenges = [c for o in earlier if o.status in {401, 403} and (c := o.challenge())]
    challenged = [c.scopes for c in challenges[-1:] if c.scopes]
    asked = {
        s for o in earlier if o.kind is Kind.AUTHORIZE for s in o.query.get("scope", "").split()
    }
    if challenged:
        return set(challenged[-1]) | asked, "the challenge's scope"
    listed = [s for o in earlier if o.kind is Kind.PRM for s in o.strings("scopes_supported")]
    if listed:
        return set(listed) | asked, "PRM scopes_supported"
    return None


@check(
    "client.scope-minimal",
    level=Level.SHOULD,
    severity=Severity.LOW,
    refs=(f"{MCP} §Scope Selection Strategy", "RFC 6749 §3.3"),
)
def scope_minimal(ev: ObservedClient) -> str:
    """The client asks for the challenged scope (else PRM's), with no wildcard or extra scope."""
    authorizations = _authorizations(ev)
    advertised = {s for m in ev.of(Kind.AS_METADATA) for s in m.strings("scopes_supported")}
    for item in authorizations:
        requested = set(item.query.get("scope", "").split())
        broad = requested & OMNIBUS
        if broad:
            raise CheckFailed(
                expected="named scopes only",
                actual=f"scope={item.query.get('scope')!r}",
                evidence=(item.exchange,),
            )
        allowed = _allowed(ev, item)
        extra_offline = OFFLINE_ACCESS if OFFLINE_ACCESS in advertised else None
        if allowed is None:
            if requested - {OFFLINE_ACCESS}:
                raise CheckFailed(
                    expected="no scope parameter when neither a challenge nor PRM names scopes",
                    actual=f"scope={item.query.get('scope')!r}",
                    evidence=(item.exchange,),
                )
            continue
        scopes, source = allowed
        beyond = requested - scopes - {extra_offline}
        if beyond:
            raise CheckFailed(
                expected=f"scopes from {source}: {' '.join(sorted(scopes))}",
                actual=f"also asked for {' '.join(sorted(beyond))}",
                evidence=(item.exchange,),
            )
    return f"{len(authorizations)} authorization request(s) within the advertised scopes"


CHECKS = ()  # the engine plans none of these: they judge observed traffic
OBSERVED = (
    pkce_s256,
    state,
    resource_param,
    bearer_every_request,
    no_query_token,
    discovery_order,
    recovers_from_401,
    no_retry_storm,
    scope_minimal,
)
