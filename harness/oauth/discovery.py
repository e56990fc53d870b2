"""The client's discovery flow: from a 401 to protected resource metadata and AS metadata.

Defaults follow MCP 2025-11-25: `resource_metadata` from the challenge, else PRM path-suffixed
then root (RFC 9728 §3.1); then AS metadata per issuer in the RFC 8414 / OIDC probe order.
`DiscoveryPolicy` holds the knobs in which real clients differ; `DiscoveryMode.LEGACY` is the
2025-03-26 behaviour (origin-root AS metadata, then `/authorize` `/token` `/register`).
Every probe is recorded, in order, with what made it a miss.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urljoin

from harness.errors import TargetError
from harness.http import Exchange, HttpClient, Response
from harness.oauth.discovery_policy import (
    SPEC_2025_11_25,
    DiscoveryMode,
    DiscoveryPolicy,
    PrmLocation,
)
from harness.oauth.errors import FlowError
from harness.oauth.metadata import (
    AuthServerMetadata,
    DocumentFetch,
    ProtectedResourceMetadata,
    fetch_json_document,
    parse_as_metadata,
    parse_prm,
)
from harness.oauth.wellknown import (
    MetadataKind,
    ResourceMatch,
    as_metadata_urls,
    canonical_resource_uri,
    legacy_as_metadata_url,
    legacy_default_endpoints,
    prm_urls,
    resource_matches,
)
from harness.oauth.wwwauth import Challenge, find_bearer, parse_www_authenticate


class AttemptKind(StrEnum):
    PRM_HEADER = "prm-header"
    PRM_PATH = "prm-path"
    PRM_ROOT = "prm-root"
    AS_OAUTH = "as-oauth"
    AS_OIDC = "as-oidc"
    AS_LEGACY = "as-legacy"


class EndpointSource(StrEnum):
    METADATA = "metadata"
    LEGACY_DEFAULTS = "legacy-defaults"


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscoveryAttempt:
    """One probe. `error`: transport failure; `rejected`: a document the policy would not use."""

    kind: AttemptKind
    url: str
    fetch: DocumentFetch | None
    error: str | None = None
    rejected: str | None = None
    issuer: str | None = None  # AS probes: the issuer the URL was built from
    failed: tuple[Exchange, ...] = ()  # the exchanges of a transport failure

    @property
    def problem(self) -> str | None:
        return self.error or (self.fetch.problem if self.fetch else None) or self.rejected

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return self.fetch.exchanges if self.fetch else self.failed


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoints:
    authorization_endpoint: str | None
    token_endpoint: str | None
    registration_endpoint: str | None
    revocation_endpoint: str | None
    source: EndpointSource


@dataclass(frozen=True, slots=True, kw_only=True)
class Discovery:
    mcp_url: str
    resource: str  # the canonical resource URI of the MCP endpoint (RFC 8707 `resource`)
    unauthenticated: Response
    challenges: tuple[Challenge, ...]
    challenge: Challenge | None  # the Bearer challenge, if any
    challenged_scope: tuple[str, ...] | None
    resource_metadata_url: str | None  # from the challenge, resolved against the MCP URL
    attempts: tuple[DiscoveryAttempt, ...]
    prm: ProtectedResourceMetadata | None
    prm_url: str | None
    prm_problem: str | None
    issuer: str | None
    as_metadata: AuthServerMetadata | None
    as_metadata_url: str | None
    as_problem: str | None
    endpoints: Endpoints | None

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        probes = tuple(e for attempt in self.attempts for e in attempt.exchanges)
        return (self.unauthenticated.exchange, *probes)

    def scope_to_request(self) -> str | None:
        """MCP 2025-11-25 scope selection: the challenged scope, else all of PRM
        `scopes_supported`, else None (omit `scope`)."""
        if self.challenged_scope:
            return " ".join(self.challenged_scope)
        if self.prm is not None and self.prm.scopes_supported:
            return " ".join(self.prm.scopes_supported)
        return None

    def require_endpoints(self) -> Endpoints:
        """The endpoints, or `FlowError` naming why discovery found none."""
        if self.endpoints is None or self.endpoints.authorization_endpoint is None:
            reason = self.as_problem or self.prm_problem or "no authorization endpoint"
            raise FlowError("discovery", reason, self.exchanges)
        return self.endpoints


_AS_KINDS = frozenset({AttemptKind.AS_OAUTH, AttemptKind.AS_OIDC, AttemptKind.AS_LEGACY})


class _Outcome(StrEnum):
    FOUND = "found"
    MISS = "miss"
    STOP = "stop"


async def discover(
    http: HttpClient,
    mcp_url: str,
    *,
    unauthenticated: Response,
    policy: DiscoveryPolicy = SPEC_2025_11_25,
) -> Discovery:
    """Run discovery after `unauthenticated` (the 401 to an MCP request without credentials).

    `TargetError` when no authorization server could be reached at all: that is an `error`
    (with the failed exchanges), never a finding or a `skip`."""
    challenges = parse_www_authenticate(unauthenticated.header_all("www-authenticate"))
    bearer = find_bearer(challenges)
    header_url = bearer.param("resource_metadata") if bearer else None
    resolved = urljoin(mcp_url, header_url) if header_url else None
    run = _Run(http, policy)
    prm: ProtectedResourceMetadata | None = None
    prm_url = prm_problem = None
    if policy.mode is DiscoveryMode.LEGACY:
        found = await run.find_legacy_as(mcp_url)
    else:
        prm, prm_url, prm_problem = await run.find_prm(mcp_url, resolved)
        if prm is None:
            found = (None, None, None, "no usable protected resource metadata")
        else:
            issuers = (prm.authorization_servers or ())[: policy.max_authorization_servers]
            found = await run.find_as(issuers)
    issuer, as_metadata, as_url, as_problem = found
    endpoints = _endpoints(policy, mcp_url, as_metadata)
    tried = [a for a in run.attempts if a.kind in _AS_KINDS]
    if endpoints is None and tried and all(a.error is not None for a in tried):
        raise TargetError(
            "the authorization server could not be reached: "
            + "; ".join(str(a.error) for a in tried),
            tuple(e for a in tried for e in a.exchanges),
        )
    return Discovery(
        mcp_url=mcp_url,
        resource=canonical_resource_uri(mcp_url),
        unauthenticated=unauthenticated,
        challenges=challenges,
        challenge=bearer,
        challenged_scope=bearer.scopes if bearer else None,
        resource_metadata_url=resolved,
        attempts=tuple(run.attempts),
        prm=prm,
        prm_url=prm_url,
        prm_problem=prm_problem,
        issuer=issuer,
        as_metadata=as_metadata,
        as_metadata_url=as_url,
        as_problem=as_problem,
        endpoints=endpoints,
    )


_AsFound = tuple[str | None, AuthServerMetadata | None, str | None, str | None]


class _Run:
    """The probes of one discovery, recorded in order."""

    def __init__(self, http: HttpClient, policy: DiscoveryPolicy) -> None:
        self.http = http
        self.policy = policy
        self.attempts: list[DiscoveryAttempt] = []

    async def find_prm(
        self, mcp_url: str, header_url: str | None
    ) -> tuple[ProtectedResourceMetadata | None, str | None, str | None]:
        problem = "no protected resource metadata location to try"
        for kind, url in _prm_candidates(self.policy, mcp_url, header_url):
            outcome, document = await self._probe(
                kind, url, _prm_rejection(self.policy, kind, mcp_url)
            )
            if outcome is _Outcome.FOUND and document is not None:
                return parse_prm(document), url, None
            problem = f"{url}: {self.attempts[-1].problem}"
            if outcome is _Outcome.STOP:
                break
        return None, None, problem

    async def find_as(self, issuers: tuple[str, ...]) -> _AsFound:
        problem = "no authorization server to try"
        for issuer in issuers:
            for candidate in as_metadata_urls(issuer, oidc=self.policy.oidc):
                kind = AttemptKind.AS_OAUTH
                if candidate.kind is MetadataKind.OIDC:
                    kind = AttemptKind.AS_OIDC
                outcome, document = await self._probe(
                    kind, candidate.url, _issuer_rejection(self.policy, issuer), issuer
                )
                if outcome is _Outcome.FOUND and document is not None:
                    return issuer, parse_as_metadata(document), candidate.url, None
                problem = f"{candidate.url}: {self.attempts[-1].problem}"
                if outcome is _Outcome.STOP:
                    break
        return None, None, None, problem

    async def find_legacy_as(self, mcp_url: str) -> _AsFound:
        url = legacy_as_metadata_url(mcp_url)
        outcome, document = await self._probe(AttemptKind.AS_LEGACY, url, _accept_any)
        if outcome is _Outcome.FOUND and document is not None:
            metadata = parse_as_metadata(document)
            return metadata.issuer, metadata, url, None
        return None, None, None, f"{url}: {self.attempts[-1].problem}"

    async def _probe(
        self,
        kind: AttemptKind,
        url: str,
        reject: Rejection,
        issuer: str | None = None,
    ) -> tuple[_Outcome, Mapping[str, object] | None]:
        try:
            fetch = await fetch_json_document(
                self.http, url, headers=self.policy.headers, max_redirects=self.policy.max_redirects
            )
        except TargetError as exc:
            self.attempts.append(
                DiscoveryAttempt(
                    kind=kind,
                    url=url,
                    fetch=None,
                    error=str(exc),
                    issuer=issuer,
                    failed=exc.exchanges,
                )
            )
            return _Outcome.STOP, None
        rejected = reject(fetch.document) if fetch.document is not None else None
        self.attempts.append(
            DiscoveryAttempt(kind=kind, url=url, fetch=fetch, rejected=rejected, issuer=issuer)
        )
        if fetch.document is not None and rejected is None:
            return _Outcome.FOUND, fetch.document
        if fetch.document is not None or fetch.response.status == 200:
            return (_Outcome.MISS if self.policy.unusable_is_miss else _Outcome.STOP), None
        if fetch.response.status in self.policy.miss_statuses:
            return _Outcome.MISS, None
        return _Outcome.STOP, None


def _prm_candidates(
    policy: DiscoveryPolicy, mcp_url: str, header_url: str | None
) -> list[tuple[AttemptKind, str]]:
    candidates: list[tuple[AttemptKind, str]] = []
    if header_url and policy.use_challenge_resource_metadata:
        candidates.append((AttemptKind.PRM_HEADER, header_url))
        if not policy.well_known_after_challenge:
            return candidates
    urls = prm_urls(mcp_url)
    for location in policy.prm_locations:
        if location is PrmLocation.PATH and len(urls) == 2:
            candidates.append((AttemptKind.PRM_PATH, urls[0]))
        elif location is PrmLocation.ROOT:
            candidates.append((AttemptKind.PRM_ROOT, urls[-1]))
    unique: list[tuple[AttemptKind, str]] = []
    for candidate in candidates:
        if all(candidate[1] != url for _, url in unique):
            unique.append(candidate)
    return unique


Rejection = Callable[[Mapping[str, object]], str | None]


def _accept_any(_document: Mapping[str, object]) -> str | None:
    return None


def _issuer_rejection(policy: DiscoveryPolicy, issuer: str) -> Rejection:
    def reject(document: Mapping[str, object]) -> str | None:
        found = parse_as_metadata(document).issuer
        if policy.require_issuer_match and found != issuer:
            return f"issuer {found!r} is not the issuer {issuer!r} the URL was built from"
        return None

    return reject


def _prm_rejection(policy: DiscoveryPolicy, kind: AttemptKind, mcp_url: str) -> Rejection:
    def reject(document: Mapping[str, object]) -> str | None:
        prm = parse_prm(document)
        if not prm.authorization_servers:
            return "no authorization_servers"
        if policy.resource_match is ResourceMatch.OFF:
            return None
        if prm.resource is None:
            return "no resource"
        if resource_matches(
            prm.resource, mcp_url, policy.resource_match, root=kind is AttemptKind.PRM_ROOT
        ):
            return None
        return f"resource {prm.resource!r} does not match {canonical_resource_uri(mcp_url)!r}"

    return reject


def _endpoints(
    policy: DiscoveryPolicy, mcp_url: str, metadata: AuthServerMetadata | None
) -> Endpoints | None:
    if metadata is not None:
        return Endpoints(
            authorization_endpoint=metadata.authorization_endpoint,
            token_endpoint=metadata.token_endpoint,
            registration_endpoint=metadata.registration_endpoint,
            revocation_endpoint=metadata.revocation_endpoint,
            source=EndpointSource.METADATA,
        )
    if policy.mode is DiscoveryMode.LEGACY and policy.legacy_default_endpoints:
        defaults = legacy_default_endpoints(mcp_url)
        return Endpoints(
            authorization_endpoint=defaults.authorization_endpoint,
            token_endpoint=defaults.token_endpoint,
            registration_endpoint=defaults.registration_endpoint,
            revocation_endpoint=None,
            source=EndpointSource.LEGACY_DEFAULTS,
        )
    return None
