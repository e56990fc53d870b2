"""The passive parts of disc.* and rs.* (and token.no-store): the server judged on real traffic.

Each judgement keeps the catalogue check's id, title, level and references (the same contract
clause), judged on what real clients' requests got back instead of on the harness's probes. Only
exchanges no fault touched are evidence here: a response the proxy forged says nothing of the
server. What the traffic did not exercise is `skip`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness.checks import BY_ID
from harness.checks.base import Check
from harness.errors import CheckFailed, NotApplicable
from harness.exchange import Exchange
from harness.oauth.wellknown import ResourceMatch, as_metadata_urls, prm_urls, resource_matches
from harness.results import Result
from harness.traffic import Kind, Observed, shown


@dataclass(frozen=True, slots=True, kw_only=True)
class ObservedServer:
    """Every client's untouched traffic to one upstream."""

    observed: tuple[Observed, ...]

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return tuple(o.exchange for o in self.observed)

    def of(self, *kinds: Kind) -> list[Observed]:
        return [o for o in self.observed if o.kind in kinds]


Judge = Callable[[ObservedServer], str]


def passive(check_id: str) -> Callable[[Judge], Check[ObservedServer]]:
    """Judge the catalogue check `check_id` on observed traffic."""

    def declare(judge: Judge) -> Check[ObservedServer]:
        known = BY_ID[check_id]
        return Check(
            id=known.id,
            title=known.title,
            level=known.level,
            severity=known.severity,
            refs=known.refs,
            evidence=ObservedServer,
            judge=judge,
        )

    return declare


def _bare(ev: ObservedServer) -> list[Observed]:
    found = [o for o in ev.of(Kind.MCP) if not o.bearer and o.status is not None]
    if not found:
        raise NotApplicable("no client sent an MCP request without a token through the proxy")
    return found


@passive("disc.rs.challenge")
def challenge(ev: ObservedServer) -> str:
    refused = [o for o in _bare(ev) if o.status == 401]
    if not refused:
        raise NotApplicable("no request without a token was answered 401 (see rs.no-token)")
    unhelpful = [o for o in refused if not _names_prm(o)]
    if unhelpful:
        raise CheckFailed(
            expected='401 with WWW-Authenticate: Bearer resource_metadata="…"',
            actual=f"WWW-Authenticate: {unhelpful[0].header('www-authenticate')!r}",
            evidence=shown(unhelpful),
        )
    return f"observed: {len(refused)} unauthenticated request(s) got a resource_metadata challenge"


@passive("rs.no-token")
def no_token(ev: ObservedServer) -> str:
    bare = _bare(ev)
    granted = [o for o in bare if o.ok]
    if granted:
        raise CheckFailed(
            expected="401 without a token",
            actual="; ".join(o.describe() for o in granted[:3]),
            evidence=shown(granted),
        )
    return f"observed: {len(bare)} request(s) without a token, none let in"


@passive("rs.invalid-token-challenge")
def invalid_token_challenge(ev: ObservedServer) -> str:
    refused = [o for o in ev.of(Kind.MCP) if o.bearer and o.status == 401]
    if not refused:
        raise NotApplicable("no client's token was refused with 401 in the observed traffic")
    for item in refused:
        challenge = item.challenge()
        if challenge is None or challenge.param("error") != "invalid_token":
            raise CheckFailed(
                expected='WWW-Authenticate: Bearer error="invalid_token", resource_metadata=…',
                actual=f"WWW-Authenticate: {item.header('www-authenticate')!r}",
                evidence=(item.exchange,),
            )
        if not challenge.param("resource_metadata"):
            raise CheckFailed(
                expected="resource_metadata in the invalid_token challenge",
                actual=f"WWW-Authenticate: {item.header('www-authenticate')!r}",
                evidence=(item.exchange,),
                should=True,
            )
    return f"observed: {len(refused)} refused token(s), each with an invalid_token challenge"


def _names_prm(item: Observed) -> str | None:
    """The resource_metadata URL of a 401's Bearer challenge."""
    challenge = item.challenge() if item.status == 401 else None
    return challenge.param("resource_metadata") if challenge else None


def _named_prm(ev: ObservedServer) -> set[str]:
    return {url for item in ev.of(Kind.MCP) if (url := _names_prm(item))}


@passive("disc.prm.served")
def prm_served(ev: ObservedServer) -> str:
    named = _named_prm(ev)
    # The URLs the server must serve: the one its challenge named, else the spec's first
    # candidate (RFC 9728 §3.1, path-suffixed). A miss elsewhere (a client probing root only,
    # or falling back after a faulted fetch) says nothing against the server.
    required = named or {prm_urls(o.url)[0] for o in ev.of(Kind.MCP)}
    fetched = [o for o in ev.observed if o.kind is Kind.PRM or o.url in named]
    if not fetched:
        raise NotApplicable("no client fetched protected resource metadata through the proxy")
    broken = [o for o in fetched if o.url in required and not (o.ok and o.document is not None)]
    if broken:
        raise CheckFailed(
            expected=f"PRM JSON at {broken[0].url}"
            + (" (the challenge's resource_metadata)" if named else " (RFC 9728 §3.1)"),
            actual=broken[0].describe(),
            evidence=shown(broken),
        )
    served = [o for o in fetched if o.ok and o.document is not None]
    if not served:
        wanted = " or ".join(sorted(required)) or "the path-suffixed well-known URL"
        raise NotApplicable(
            f"no untouched fetch of {wanted}; the URLs clients tried ("
            + "; ".join(o.describe() for o in fetched[:4])
            + ") are not ones the server must serve"
        )
    return f"observed: served at {served[0].url}"


@passive("disc.prm.resource-match")
def prm_resource_match(ev: ObservedServer) -> str:
    served = [o for o in ev.of(Kind.PRM) if o.ok and o.document is not None]
    endpoints = {o.url for o in ev.of(Kind.MCP)}
    if not served or not endpoints:
        raise NotApplicable("the traffic had no PRM document and MCP endpoint to compare")
    for item in served:
        resource = (item.document or {}).get("resource")
        root = item.url.endswith("/.well-known/oauth-protected-resource")
        if not isinstance(resource, str) or not any(
            resource_matches(resource, url, ResourceMatch.EXACT, root=root) for url in endpoints
        ):
            raise CheckFailed(
                expected=f"resource naming {' or '.join(sorted(endpoints))}",
                actual=f"resource is {resource!r} at {item.url}",
                evidence=(item.exchange,),
            )
    return f"observed: {len(served)} PRM document(s) name the MCP endpoint"


@passive("disc.prm.authorization-servers")
def prm_authorization_servers(ev: ObservedServer) -> str:
    served = [o for o in ev.of(Kind.PRM) if o.ok and o.document is not None]
    if not served:
        raise NotApplicable("no client fetched a PRM document through the proxy")
    empty = [o for o in served if not o.strings("authorization_servers")]
    if empty:
        listed = (empty[0].document or {}).get("authorization_servers")
        raise CheckFailed(
            expected="authorization_servers with at least one issuer",
            actual=f"authorization_servers={listed!r}",
            evidence=shown(empty),
        )
    return f"observed: {served[0].strings('authorization_servers')[0]}"


@passive("disc.as.issuer-match")
def issuer_match(ev: ObservedServer) -> str:
    issuers = {s for o in ev.of(Kind.PRM) for s in o.strings("authorization_servers")}
    documents = [o for o in ev.of(Kind.AS_METADATA) if o.ok and o.document is not None]
    if not documents or not issuers:
        raise NotApplicable("the traffic had no PRM issuer and AS metadata to compare")
    for item in documents:
        issuer = (item.document or {}).get("issuer")
        built_from = [i for i in issuers if item.url in _metadata_urls(i)]
        if built_from and issuer not in built_from:
            raise CheckFailed(
                expected=f'"issuer": "{built_from[0]}"',
                actual=f"issuer is {issuer!r} at {item.url}",
                evidence=(item.exchange,),
            )
    return f"observed: metadata issuer matches at {documents[0].url}"


def _metadata_urls(issuer: str) -> set[str]:
    return {u.url for u in as_metadata_urls(issuer)}


@passive("token.no-store")
def no_store(ev: ObservedServer) -> str:
    issued = [o for o in ev.of(Kind.TOKEN) if o.issued("access_token")]
    if not issued:
        raise NotApplicable("no token response was observed")
    cached = [o for o in issued if "no-store" not in (o.header("cache-control") or "").lower()]
    if cached:
        raise CheckFailed(
            expected="Cache-Control: no-store on token responses",
            actual=f"Cache-Control: {cached[0].header('cache-control')!r}",
            evidence=shown(cached),
        )
    return f"observed: {len(issued)} token response(s) with no-store"


@passive("disc.as.pkce-advertised")
def pkce_advertised(ev: ObservedServer) -> str:
    documents = [o for o in ev.of(Kind.AS_METADATA) if o.ok and o.document is not None]
    if not documents:
        raise NotApplicable("no client fetched authorization server metadata through the proxy")
    for item in documents:
        methods = (item.document or {}).get("code_challenge_methods_supported")
        if not isinstance(methods, list) or "S256" not in methods:
            raise CheckFailed(
                expected='code_challenge_methods_supported containing "S256"',
                actual=f"code_challenge_methods_supported={methods!r} at {item.url}",
                evidence=(item.exchange,),
            )
    return f"observed: S256 advertised at {documents[0].url}"


PASSIVE = (
    challenge,
    no_token,
    invalid_token_challenge,
    prm_served,
    prm_resource_match,
    prm_authorization_servers,
    issuer_match,
    no_store,
    pkce_advertised,
)


def judge_server(observed: tuple[Observed, ...]) -> list[Result]:
    """The passive server results (profile-independent)."""
    evidence = ObservedServer(observed=observed)
    return [c.run(evidence) for c in PASSIVE]
