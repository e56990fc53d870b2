"""disc.*: the 401 challenge, protected resource metadata and authorization server metadata."""

from __future__ import annotations

from harness.checks.base import check
from harness.errors import CheckFailed, NotApplicable
from harness.oauth.wellknown import canonical_resource_uri
from harness.probes.discovery.evidence import AuthServerDiscovery, ResourceDiscovery, UnservedUrls
from harness.results import Level, Severity

MCP = "MCP 2025-11-25 Authorization"
OMNIBUS_SCOPES = frozenset({"*", "all", "admin", "root", "full_access", "*:*", "offline_access"})


@check(
    "disc.rs.challenge",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=(
        f"{MCP} §Protected Resource Metadata Discovery Requirements",
        "RFC 9728 §5.1",
        "RFC 6750 §3.1",
    ),
)
def challenge(ev: ResourceDiscovery) -> str:
    """An unauthenticated MCP request gets 401 with a Bearer challenge that leads to PRM."""
    response = ev.unauthenticated
    shown = (response.exchange,)
    if response.status != 401:
        raise CheckFailed(
            expected="401 for a request without credentials",
            actual=response.summary(),
            evidence=shown,
        )
    bearer = ev.bearer
    if bearer is None:
        raise CheckFailed(
            expected="WWW-Authenticate: Bearer …",
            actual=f"WWW-Authenticate: {response.header('www-authenticate')!r}",
            evidence=shown,
        )
    well_known = [p for p in ev.prm_probes if p.source in {"path", "root"} and p.served]
    if "resource_metadata" not in bearer.params and not well_known:
        raise CheckFailed(
            expected="resource_metadata in the challenge, or PRM at a well-known URI",
            actual="neither",
            evidence=ev.exchanges,
        )
    if "error" in bearer.params:
        raise CheckFailed(
            expected="no error auth-param when the request carried no credentials "
            "(RFC 6750 §3.1: SHOULD NOT)",
            actual=f'error="{bearer.params["error"]}"',
            evidence=shown,
            should=True,
        )
    if "resource_metadata" not in bearer.params:
        return f"401 Bearer challenge without resource_metadata; PRM found at {well_known[0].url}"
    return f'401 Bearer resource_metadata="{bearer.params["resource_metadata"]}"'


@check(
    "disc.rs.challenge-scope",
    level=Level.SHOULD,
    severity=Severity.LOW,
    refs=(f"{MCP} §Protected Resource Metadata Discovery Requirements", "RFC 6750 §3"),
)
def challenge_scope(ev: ResourceDiscovery) -> str:
    """The 401 challenge names the scope the request needs."""
    if ev.bearer is None:
        raise NotApplicable("no Bearer challenge to inspect (see disc.rs.challenge)")
    scope = ev.challenged_scope
    if not scope or not scope.strip():
        raise CheckFailed(
            expected='scope="…" in the Bearer challenge',
            actual="no scope",
            evidence=(ev.unauthenticated.exchange,),
        )
    return f'scope="{scope}"'


@check(
    "disc.prm.served",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=("RFC 9728 §3.1, §3.2", f"{MCP} §Authorization Server Location"),
)
def prm_served(ev: ResourceDiscovery) -> str:
    """Protected resource metadata is served as JSON at the header URL or a well-known URI."""
    header = [p for p in ev.prm_probes if p.source == "header"]
    if header and not header[0].served:
        raise CheckFailed(
            expected="the resource_metadata URL of the challenge serves PRM JSON",
            actual=header[0].problem,
            evidence=ev.exchanges,
        )
    chosen = ev.chosen
    if chosen is None:
        tried = "; ".join(f"{p.url}: {p.problem}" for p in ev.prm_probes)
        raise CheckFailed(
            expected="PRM at the header URL, path-suffixed or root well-known URI",
            actual=f"none served ({tried})",
            evidence=ev.exchanges,
        )
    content_type = chosen.response.content_type if chosen.response else ""
    if content_type != "application/json":
        raise CheckFailed(
            expected="Content-Type application/json (RFC 9728 §3.2)",
            actual=content_type or "no content type",
            evidence=ev.exchanges,
        )
    return f"served at {chosen.url}"


@check(
    "disc.prm.resource-match",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=("RFC 9728 §3.3", f"{MCP} §Canonical Server URI"),
)
def prm_resource_match(ev: ResourceDiscovery) -> str:
    """PRM `resource` is identical to the MCP endpoint's canonical URI."""
    expected = canonical_resource_uri(ev.mcp_url)
    served = [p for p in ev.prm_probes if p.document is not None]
    if not served:
        raise NotApplicable("no PRM document is served (see disc.prm.served)")
    for probe in served:
        resource = (probe.document or {}).get("resource")
        if not isinstance(resource, str):
            raise CheckFailed(
                expected=f'"resource": "{expected}"',
                actual=f"resource is {resource!r} at {probe.url}",
                evidence=[e for e in (probe.exchange,) if e],
            )
        if resource == expected or resource == ev.mcp_url:
            continue
        if probe.source == "root" and expected.startswith(resource.rstrip("/") + "/"):
            continue  # root metadata may describe the origin that contains the endpoint
        raise CheckFailed(
            expected=f'"resource": "{expected}"',
            actual=f'"resource": "{resource}" at {probe.url}',
            evidence=[e for e in (probe.exchange,) if e],
        )
    return f"resource is {expected}"


@check(
    "disc.prm.authorization-servers",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=("RFC 9728 §2", f"{MCP} §Authorization Server Location"),
)
def prm_authorization_servers(ev: ResourceDiscovery) -> str:
    """PRM lists at least one authorization server issuer."""
    prm = ev.prm
    if prm is None:
        raise NotApplicable("no PRM document is served (see disc.prm.served)")
    servers = prm.authorization_servers or ()
    if not servers:
        raise CheckFailed(
            expected="authorization_servers with at least one issuer URL",
            actual=repr(prm.raw.get("authorization_servers")),
            evidence=ev.exchanges,
        )
    return f"authorization_servers: {', '.join(servers)}"


@check(
    "disc.prm.scopes-minimal",
    level=Level.SHOULD,
    severity=Severity.LOW,
    refs=("MCP Security Best Practices §Scope Minimization", f"{MCP} §Scope Selection Strategy"),
)
def prm_scopes_minimal(ev: ResourceDiscovery) -> str:
    """Advertised and challenged scopes carry no wildcard or omnibus scope, nor offline_access."""
    prm = ev.prm
    advertised = list(prm.scopes_supported or ()) if prm else []
    challenged = (ev.challenged_scope or "").split()
    bad = sorted({s for s in advertised + challenged if _is_omnibus(s)})
    if bad:
        raise CheckFailed(
            expected="narrow scopes only",
            actual=f"advertised {', '.join(bad)}",
            evidence=ev.exchanges,
        )
    if not advertised and not challenged:
        raise NotApplicable("neither scopes_supported nor a challenged scope is advertised")
    return f"scopes: {' '.join(sorted(set(advertised + challenged)))}"


def _is_omnibus(scope: str) -> bool:
    lowered = scope.lower()
    return lowered in OMNIBUS_SCOPES or lowered.endswith((":*", ".*", "/*"))


@check(
    "disc.as.metadata-served",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=(
        "RFC 8414 §3",
        "OpenID Connect Discovery 1.0 §4",
        f"{MCP} §Authorization Server Metadata Discovery",
    ),
)
def as_metadata_served(ev: AuthServerDiscovery) -> str:
    """AS metadata is reachable by RFC 8414 or OIDC discovery, in the spec's order, as JSON."""
    chosen = ev.chosen
    if chosen is None:
        tried = "; ".join(f"{p.url}: {p.problem}" for p in ev.probes)
        raise CheckFailed(
            expected=f"AS metadata for issuer {ev.issuer}",
            actual=f"none served ({tried})",
            evidence=ev.exchanges,
        )
    content_type = chosen.response.content_type if chosen.response else ""
    if content_type != "application/json":
        raise CheckFailed(
            expected="Content-Type application/json",
            actual=content_type or "none",
            evidence=ev.exchanges,
        )
    return f"{chosen.source} metadata at {chosen.url}"


def _metadata(ev: AuthServerDiscovery) -> tuple[dict[str, object], str]:
    chosen = ev.chosen
    if chosen is None or chosen.document is None:
        raise NotApplicable("no AS metadata is served (see disc.as.metadata-served)")
    return dict(chosen.document), chosen.url


@check(
    "disc.as.issuer-match",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=("RFC 8414 §3.3", "MCP 2026-07-28 Authorization Server Discovery"),
)
def as_issuer_match(ev: AuthServerDiscovery) -> str:
    """The metadata `issuer` is identical to the issuer the URL was built from."""
    document, url = _metadata(ev)
    if document.get("issuer") != ev.issuer:
        raise CheckFailed(
            expected=f'"issuer": "{ev.issuer}"',
            actual=f'"issuer": {document.get("issuer")!r} at {url}',
            evidence=ev.exchanges,
        )
    return f"issuer {ev.issuer}"


@check("disc.as.required-fields", level=Level.MUST, severity=Severity.MEDIUM, refs=("RFC 8414 §2",))
def as_required_fields(ev: AuthServerDiscovery) -> str:
    """Authorization and token endpoints are present and `response_types_supported` has `code`."""
    document, _ = _metadata(ev)
    missing = [
        k
        for k in ("authorization_endpoint", "token_endpoint")
        if not isinstance(document.get(k), str)
    ]
    response_types = document.get("response_types_supported")
    if not isinstance(response_types, list) or "code" not in response_types:
        missing.append('response_types_supported containing "code"')
    if missing:
        raise CheckFailed(
            expected="the RFC 8414 required fields",
            actual=f"missing {missing}",
            evidence=ev.exchanges,
        )
    return "authorization_endpoint, token_endpoint, response_types_supported present"


@check(
    "disc.as.pkce-advertised",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=(f"{MCP} §Authorization Code Protection", "RFC 8414 §2", "RFC 7636"),
)
def as_pkce_advertised(ev: AuthServerDiscovery) -> str:
    """`code_challenge_methods_supported` is present and contains S256."""
    document, _ = _metadata(ev)
    methods = document.get("code_challenge_methods_supported")
    if not isinstance(methods, list) or "S256" not in methods:
        raise CheckFailed(
            expected='"code_challenge_methods_supported" containing "S256" (MCP clients '
            "must refuse to proceed without it)",
            actual=repr(methods),
            evidence=ev.exchanges,
        )
    return f"code_challenge_methods_supported: {methods}"


@check(
    "disc.as.no-legacy-grants",
    level=Level.SHOULD,
    severity=Severity.MEDIUM,
    refs=("OAuth 2.1 §10", "RFC 9700 §2.1.2, §2.4"),
)
def as_no_legacy_grants(ev: AuthServerDiscovery) -> str:
    """No implicit (`token`) response type and no `password` grant are advertised."""
    document, _ = _metadata(ev)
    response_types = document.get("response_types_supported")
    grants = document.get("grant_types_supported")
    legacy = [f"response type {t!r}" for t in _strings(response_types) if "token" in t.split()]
    legacy += [f"grant {g!r}" for g in _strings(grants) if g in {"password", "implicit"}]
    if legacy:
        raise CheckFailed(
            expected="no implicit or password grant",
            actual=", ".join(legacy),
            evidence=ev.exchanges,
        )
    return "no legacy grants advertised"


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


@check(
    "disc.clean-404",
    level=Level.SHOULD,  # no spec demands a 404; a 200 HTML page breaks clients that probe
    severity=Severity.MEDIUM,
    refs=("RFC 8414 §3.2", "RFC 9728 §3.2", "client-quirks: discovery probes"),
)
def clean_404(ev: UnservedUrls) -> str:
    """OAuth well-knowns the server does not offer answer a clean 404, not 200 HTML or `{}`."""
    bad = []
    for probe in ev.probes:
        response = probe.response
        if response is None:
            continue
        if response.status >= 500 or (response.status == 200 and not _meaningful(probe.document)):
            bad.append(probe)
    if bad:
        shown = [p.exchange for p in bad if p.exchange is not None]
        first = bad[0].response
        assert first is not None
        raise CheckFailed(
            expected="404 (or another 4xx) for metadata the server does not offer",
            actual=f"{first.summary()} at {bad[0].url}"
            + (f" and {len(bad) - 1} more" if len(bad) > 1 else ""),
            evidence=shown,
        )
    return f"{len(ev.probes)} unserved URLs answered cleanly"


def _meaningful(document: object) -> bool:
    """A metadata document worth parsing: a JSON object naming a resource or an issuer."""
    return isinstance(document, dict) and any(k in document for k in ("resource", "issuer"))


CHECKS = (
    challenge,
    challenge_scope,
    prm_served,
    prm_resource_match,
    prm_authorization_servers,
    prm_scopes_minimal,
    as_metadata_served,
    as_issuer_match,
    as_required_fields,
    as_pkce_advertised,
    as_no_legacy_grants,
    clean_404,
)
