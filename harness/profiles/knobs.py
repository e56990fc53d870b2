"""A profile's knobs turned into what the OAuth and MCP clients take: policies, bodies, values.

Pure functions: each reads knob values (never the profile's name) plus what discovery found.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import urlsplit, urlunsplit

from harness import __version__
from harness.egress import is_loopback_host
from harness.oauth.discovery import Discovery
from harness.oauth.discovery_policy import DiscoveryMode, DiscoveryPolicy, PrmLocation
from harness.oauth.metadata import AuthServerMetadata
from harness.oauth.registration import AuthMethod
from harness.oauth.wellknown import ResourceMatch, origin
from harness.profiles.model import (
    ApplicationType,
    AsCandidates,
    AsMetadata,
    AuthChoice,
    DiscoveryModeKnob,
    IssuerCheck,
    LegacyFallback,
    MissStatuses,
    OfflineAccess,
    PortAtAuthorize,
    PrmSource,
    Profile,
    RegScope,
    ResourceCheck,
    ResourceMode,
    ScopeSource,
)

OFFLINE_ACCESS = "offline_access"
_MISSES = MappingProxyType(
    {
        MissStatuses.NOT_FOUND: frozenset({404}),
        MissStatuses.ANY_4XX: frozenset(range(400, 500)),
        MissStatuses.ANY_4XX_502: frozenset(range(400, 500)) | {502},
    }
)
_MATCH = MappingProxyType(
    {
        ResourceCheck.EXACT: ResourceMatch.EXACT,
        ResourceCheck.PREFIX: ResourceMatch.PREFIX,
        ResourceCheck.OFF: ResourceMatch.OFF,
    }
)


def protocol_version(profile: Profile, spec: str = "auto") -> str:
    """The MCP revision the profile speaks (an explicit `--spec` wins)."""
    return spec if spec != "auto" else profile.identity.protocol_version.value


def mcp_headers(profile: Profile) -> tuple[tuple[str, str], ...]:
    agent = profile.identity.user_agent.value
    return (("user-agent", agent),) if agent else ()


def oauth_headers(profile: Profile) -> tuple[tuple[str, str], ...]:
    """Headers of the OAuth requests (metadata, registration, token): UA and browser Origin."""
    agent = profile.identity.oauth_user_agent.value or profile.identity.user_agent.value
    headers = [("user-agent", agent)] if agent else []
    if profile.discovery.browser_origin.value:
        headers.append(("origin", profile.discovery.browser_origin.value))
    return tuple(headers)


def client_info(profile: Profile) -> tuple[str, str]:
    identity = profile.identity
    return (identity.client_info_name.value, identity.client_info_version.value or __version__)


def discovery_policy(profile: Profile, spec: str = "auto") -> DiscoveryPolicy:
    knobs = profile.discovery
    if knobs.mode.value is DiscoveryModeKnob.LEGACY:
        return DiscoveryPolicy(
            mode=DiscoveryMode.LEGACY,
            oidc=knobs.as_metadata.value is AsMetadata.OAUTH_OIDC,
            headers=_discovery_headers(profile, spec),
        )
    order = knobs.prm_order.value
    locations = tuple(
        PrmLocation.PATH if source is PrmSource.PATH else PrmLocation.ROOT
        for source in order
        if source is not PrmSource.HEADER
    )
    return DiscoveryPolicy(
        use_challenge_resource_metadata=PrmSource.HEADER in order,
        well_known_after_challenge=knobs.well_known_after_header.value,
        prm_locations=locations,
        oidc=knobs.as_metadata.value is AsMetadata.OAUTH_OIDC,
        miss_statuses=_MISSES[knobs.miss_statuses.value],
        resource_match=_MATCH[knobs.resource_check.value],
        require_issuer_match=knobs.issuer_check.value is IssuerCheck.EXACT,
        max_authorization_servers=1 if knobs.as_candidates.value is AsCandidates.FIRST else 3,
        headers=_discovery_headers(profile, spec),
    )


def legacy_policy(profile: Profile, spec: str = "auto") -> DiscoveryPolicy | None:
    """The fallback when no PRM was found, or None when the profile has none."""
    fallback = profile.discovery.legacy_fallback.value
    if fallback is LegacyFallback.NONE:
        return None
    return DiscoveryPolicy(
        mode=DiscoveryMode.LEGACY,
        oidc=False,
        legacy_default_endpoints=fallback is LegacyFallback.ORIGIN_DEFAULTS,
        headers=_discovery_headers(profile, spec),
    )


def _discovery_headers(profile: Profile, spec: str) -> tuple[tuple[str, str], ...]:
    headers = list(oauth_headers(profile))
    if profile.discovery.protocol_header.value:
        headers.append(("mcp-protocol-version", protocol_version(profile, spec)))
    return tuple(headers)


def select_scope(
    profile: Profile, discovery: Discovery, metadata: AuthServerMetadata | None
) -> str | None:
    """The scope the profile requests, from its ordered sources (None omits the parameter)."""
    knobs = profile.scope
    chosen: list[str] = []
    for source in knobs.sources.value:
        if source is ScopeSource.CHALLENGE and discovery.challenged_scope:
            chosen = list(discovery.challenged_scope)
        elif source is ScopeSource.PRM and discovery.prm and discovery.prm.scopes_supported:
            chosen = list(discovery.prm.scopes_supported)
        elif source is ScopeSource.AS and metadata and metadata.scopes_supported:
            chosen = list(metadata.scopes_supported)
        elif source is ScopeSource.FIXED and knobs.fixed.value.split():
            chosen = knobs.fixed.value.split()
        if chosen:
            break
    offline = knobs.offline_access.value
    advertised = metadata is not None and OFFLINE_ACCESS in (metadata.scopes_supported or ())
    wants_refresh = "refresh_token" in profile.registration.grant_types.value
    if OFFLINE_ACCESS not in chosen and (
        offline is OfflineAccess.ALWAYS
        or (offline is OfflineAccess.IF_ADVERTISED and advertised and wants_refresh)
    ):
        chosen.append(OFFLINE_ACCESS)
    if not chosen:
        return None
    scope = " ".join(chosen)
    return " " + scope if knobs.leading_space.value else scope


def union_scope(*scopes: str | None) -> str | None:
    seen: list[str] = []
    for scope in scopes:
        seen += [s for s in (scope or "").split() if s not in seen]
    return " ".join(seen) or None


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceChoice:
    value: str | None  # what the profile sends (None: omitted)
    expected: str  # what a spec-following client sends: PRM `resource`, else the MCP URL

    @property
    def deviates(self) -> bool:
        return self.value != self.expected

    def describe(self) -> str:
        if self.value is None:
            return "`resource` omitted"
        return f"resource={self.value}"


def resource_choice(profile: Profile, discovery: Discovery) -> ResourceChoice:
    prm_resource = discovery.prm.resource if discovery.prm is not None else None
    expected = prm_resource or discovery.resource
    mode = profile.resource.mode.value
    value: str | None
    if mode is ResourceMode.PRM:
        value = expected
    elif mode is ResourceMode.IF_PRM:
        value = prm_resource
    elif mode is ResourceMode.SERVER_URL:
        value = discovery.resource
    elif mode is ResourceMode.ORIGIN:
        value = origin(discovery.resource)
    elif mode is ResourceMode.SLASH_ON_HOST_ONLY:
        value = expected + "/" if urlsplit(expected).path == "" else expected
    else:
        value = None
    return ResourceChoice(value=value, expected=expected)


@dataclass(frozen=True, slots=True, kw_only=True)
class RedirectPlan:
    registered: tuple[str, ...]  # what the client registers (or publishes)
    at_authorize: str  # what it sends to /authorize and /token
    as_registered: str  # the registered URI it would use with the registered port

    @property
    def port_differs(self) -> bool:
        return self.at_authorize != self.as_registered


def redirect_plan(profile: Profile, rng: random.Random) -> RedirectPlan:
    """Fill `{port}` with a port; move the loopback port when the profile does so."""
    port = rng.randrange(20000, 60000)
    registered = tuple(u.replace("{port}", str(port)) for u in profile.redirects.uris.value)
    chosen = registered[min(profile.redirects.use.value, len(registered) - 1)]
    at_authorize = chosen
    if profile.redirects.port_at_authorize.value is PortAtAuthorize.DIFFERENT:
        at_authorize = _with_port(chosen, port + 1 + rng.randrange(1000))
    return RedirectPlan(registered=registered, at_authorize=at_authorize, as_registered=chosen)


def redirect_plan_again(profile: Profile, plan: RedirectPlan, rng: random.Random) -> RedirectPlan:
    """A later authorization with the same registration: the port may move again."""
    if profile.redirects.port_at_authorize.value is not PortAtAuthorize.DIFFERENT:
        return plan
    moved = _with_port(plan.as_registered, 20000 + rng.randrange(40000))
    if moved == plan.as_registered:
        return plan
    return RedirectPlan(
        registered=plan.registered, at_authorize=moved, as_registered=plan.as_registered
    )


def _with_port(uri: str, port: int) -> str:
    parts = urlsplit(uri)
    host = parts.hostname or ""
    if parts.scheme != "http" or not is_loopback_host(host):
        return uri
    shown = f"[{host}]" if ":" in host else host
    return urlunsplit(parts._replace(netloc=f"{shown}:{port}"))


def auth_method(profile: Profile, metadata: AuthServerMetadata | None) -> str | None:
    """The `token_endpoint_auth_method` the client registers (None: it names none)."""
    choice = profile.registration.auth_method.value
    advertised = (metadata.token_endpoint_auth_methods_supported if metadata else None) or ()
    if choice is AuthChoice.OMIT:
        return None
    if choice is AuthChoice.POST_IF_ADVERTISED:
        return AuthMethod.CLIENT_SECRET_POST if "client_secret_post" in advertised else "none"
    if choice is AuthChoice.NONE_ELSE_POST:
        return AuthMethod.NONE if "none" in advertised else AuthMethod.CLIENT_SECRET_POST
    if choice is AuthChoice.STRONGEST_ADVERTISED:
        for method in ("client_secret_basic", "client_secret_post"):
            if method in advertised:
                return method
        return AuthMethod.NONE
    return choice.value


def registration_request(
    profile: Profile,
    *,
    redirect_uris: tuple[str, ...],
    scope: str | None,
    metadata: AuthServerMetadata | None,
) -> dict[str, object]:
    knobs = profile.registration
    body: dict[str, object] = {
        "client_name": knobs.client_name.value,
        "redirect_uris": list(redirect_uris),
        "grant_types": list(knobs.grant_types.value),
        "response_types": ["code"],
    }
    method = auth_method(profile, metadata)
    if method is not None:
        body["token_endpoint_auth_method"] = method
    if knobs.application_type.value is not ApplicationType.OMIT:
        body["application_type"] = knobs.application_type.value.value
    if knobs.scope.value is RegScope.REQUESTED and scope:
        body["scope"] = scope.strip()
    body.update(dict(knobs.extra.value))
    return body


def cimd_usable(profile: Profile, metadata: AuthServerMetadata | None, url: str) -> bool:
    """CIMD: the client has a metadata `url` and the AS advertises support (and `none`)."""
    knobs = profile.registration
    if not url or metadata is None:
        return False
    if metadata.client_id_metadata_document_supported is not True:
        return False
    methods = metadata.token_endpoint_auth_methods_supported
    return not knobs.cimd_requires_none.value or methods is None or "none" in methods
