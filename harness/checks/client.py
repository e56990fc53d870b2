"""client.* on what the client asks for: PKCE, state, resource and scope in its authorization and
token requests, judged from traffic the proxy observed.

These checks judge the client, not the server: their evidence is one client's recorded traffic
(`ObservedClient`), so the engine never plans them (they are `OBSERVED`, not `CHECKS`). A check
whose behaviour the traffic did not exercise is `skip` with what was missing, never `pass`. The
client's discovery is judged in `client_discovery`, its use of tokens in `client_session`.
"""

from __future__ import annotations

from harness.checks.base import check
from harness.errors import CheckFailed, NotApplicable
from harness.oauth.wellknown import canonical_resource_uri
from harness.results import Level, Severity
from harness.traffic import Kind, Observed, ObservedClient, shown

MCP = "MCP 2025-11-25 Authorization"
OMNIBUS = frozenset({"*", "all", "admin", "root", "full_access", "*:*"})
OFFLINE_ACCESS = "offline_access"
MIN_STATE_CHARS = 8


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
        methods = [f"code_challenge_method={w.query.get('code_challenge_method')!r}" for w in weak]
        raise CheckFailed(
            expected="code_challenge with code_challenge_method=S256",
            actual="; ".join(methods),
            evidence=shown(weak),
        )
    redemptions = [t for t in ev.of(Kind.TOKEN) if t.form.get("grant_type") == "authorization_code"]
    unverified = [t for t in redemptions if not t.form.get("code_verifier")]
    if unverified:
        raise CheckFailed(
            expected="code_verifier with the code at the token endpoint",
            actual="no code_verifier",
            evidence=shown(unverified),
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
            evidence=shown(weak),
        )
    if len(set(values)) < len(values):
        raise CheckFailed(
            expected="a new state for each authorization request",
            actual="a state value was reused",
            evidence=shown(authorizations),
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
            evidence=shown(bad),
        )
    if slashed:
        raise CheckFailed(
            expected=f"resource={' or '.join(sorted(expected))} (SHOULD omit a trailing slash)",
            actual="a trailing slash added",
            evidence=shown(slashed),
            should=True,
        )
    return f"resource={' '.join(sorted(expected))} on {len(requests)} request(s)"


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
OBSERVED = (pkce_s256, state, resource_param, scope_minimal)
