"""client.discovery-order: the client finds PRM, then the authorization server's metadata, in
the spec's order (observed traffic; see `client`)."""

from __future__ import annotations

from harness.checks.base import check
from harness.errors import CheckFailed, NotApplicable
from harness.oauth.wellknown import as_metadata_urls, prm_urls
from harness.results import Level, Severity
from harness.traffic import Kind, Observed, ObservedClient, shown, upto

MCP = "MCP 2025-11-25 Authorization"


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
            evidence=shown(metadata[:3]),
        )
    order = _prm_order(ev, prm)
    off = _prefix_of(prm, order)
    if off is not None:
        raise CheckFailed(
            expected="PRM tried in the order " + " → ".join(order),
            actual="fetched " + " → ".join(p.url for p in upto(prm, off)),
            evidence=shown(upto(prm, off)),
        )
    issuers = [s for p in prm for s in p.strings("authorization_servers")]
    if metadata and not any(p.ok for p in prm):
        raise CheckFailed(
            expected="the authorization server found through PRM (MCP 2025-06-18 and later)",
            actual="no PRM document found, then AS metadata at "
            + metadata[0].url
            + " (the 2025-03-26 fallback)",
            evidence=shown([*prm, metadata[0]]),
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
        evidence=shown(metadata[:4]),
    )


CHECKS = ()  # the engine plans none of these: they judge observed traffic
OBSERVED = (discovery_order,)
