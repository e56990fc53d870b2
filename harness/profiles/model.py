"""Client profiles as data: closed enums for every knob, frozen records for every section.

A profile pins one observed variant of a real client (or a spec revision). Each knob carries its
value and, when the value is not the default, the public source and the date or client version it
was observed at. Code switches on knob values, never on profile names.
"""

# Knob defaults are frozen (immutable) records, safe to share as dataclass defaults.
# ruff: noqa: RUF009

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ProfileKind(StrEnum):
    CLIENT = "client"  # a real client: non-default knobs are documented quirks
    SPEC = "spec"  # a spec revision followed to the letter: knobs are that revision's rules


class DiscoveryModeKnob(StrEnum):
    PRM = "prm"  # RFC 9728 then RFC 8414 / OIDC (2025-06-18 and later)
    LEGACY = "legacy"  # 2025-03-26: AS metadata at the MCP origin, default endpoints


class FirstRequest(StrEnum):
    POST = "post"
    GET = "get"  # a GET of the MCP URL first; a POST follows when it is not a 401


class On401(StrEnum):
    DISCOVER = "discover"
    GIVE_UP = "give-up"  # stops at the first 401 without fetching any metadata


class PrmSource(StrEnum):
    HEADER = "header"  # the challenge's resource_metadata URL
    PATH = "path"  # /.well-known/oauth-protected-resource/<path>
    ROOT = "root"  # /.well-known/oauth-protected-resource


class MissStatuses(StrEnum):
    NOT_FOUND = "404"  # only a 404 sends the client to the next URL
    ANY_4XX = "4xx"
    ANY_4XX_502 = "4xx-502"


class MissBody(StrEnum):
    ANY = "any"
    JSON = "json"  # a non-JSON body on a miss crashes the client's OAuth error parser


class AsMetadata(StrEnum):
    OAUTH_OIDC = "oauth-oidc"  # RFC 8414, then OpenID Connect discovery
    OAUTH_ONLY = "oauth-only"


class AsCandidates(StrEnum):
    FIRST = "first"  # only authorization_servers[0]
    ALL = "all"


class LegacyFallback(StrEnum):
    NONE = "none"
    ORIGIN_METADATA = "origin-metadata"  # no PRM: RFC 8414 metadata at the MCP origin only
    ORIGIN_DEFAULTS = "origin-defaults"  # ... then /authorize, /token, /register on the origin


class ResourceCheck(StrEnum):
    EXACT = "exact"
    PREFIX = "prefix"
    OFF = "off"


class IssuerCheck(StrEnum):
    EXACT = "exact"
    OFF = "off"


class PkcePolicy(StrEnum):
    REQUIRE_S256 = "require-s256"  # refuse an AS that does not advertise S256
    PROCEED_IF_ABSENT = "proceed-if-absent"  # refuse only when methods are listed without S256


class RegMethod(StrEnum):
    STATIC = "static"  # the configured [client], when there is one
    CIMD = "cimd"  # a URL client_id, when the AS advertises CIMD support
    DCR = "dcr"


class AuthChoice(StrEnum):
    NONE = "none"
    CLIENT_SECRET_POST = "client_secret_post"  # noqa: S105 - a method name
    CLIENT_SECRET_BASIC = "client_secret_basic"  # noqa: S105 - a method name
    POST_IF_ADVERTISED = "post-if-advertised"  # client_secret_post when listed, else none
    STRONGEST_ADVERTISED = "strongest-advertised"  # basic > post > none among those listed
    NONE_ELSE_POST = "none-else-post"  # none when listed, else client_secret_post
    OMIT = "omit"  # the registration names no method (RFC 7591 §2: the AS picks basic)


class UnstatedAuthMethod(StrEnum):
    """How the client authenticates at /token when the registration response names no method."""

    REQUESTED = "requested"  # the method it asked for, else RFC 7591's client_secret_basic
    NONE = "none"  # none, even with an issued client_secret


class ApplicationType(StrEnum):
    OMIT = ""
    WEB = "web"
    NATIVE = "native"


class RegScope(StrEnum):
    OMIT = "omit"
    REQUESTED = "requested"  # the scope the client will request


class PortAtAuthorize(StrEnum):
    AS_REGISTERED = "as-registered"
    DIFFERENT = "different"  # the loopback port at /authorize differs from the registered one


class ScopeSource(StrEnum):
    CHALLENGE = "challenge"  # the 401's scope parameter
    PRM = "prm"  # all of PRM scopes_supported
    AS = "as"  # all of the AS metadata scopes_supported
    FIXED = "fixed"  # the profile's fixed scope string


class OfflineAccess(StrEnum):
    NEVER = "never"
    IF_ADVERTISED = "if-advertised"
    ALWAYS = "always"


class ResourceMode(StrEnum):
    PRM = "prm"  # the PRM `resource` (the canonical MCP URL when there is no PRM)
    IF_PRM = "if-prm"  # the PRM `resource`, omitted when no PRM was found
    SERVER_URL = "server-url"  # the canonical MCP URL, whatever PRM says
    OMIT = "omit"
    ORIGIN = "origin"  # scheme://host[:port] only
    SLASH_ON_HOST_ONLY = "slash-on-host-only"  # a "/" appended when the resource has no path


class BearerUse(StrEnum):
    ALWAYS = "always"
    DROPPED_AFTER_EXCHANGE = "dropped-after-exchange"


class RefreshMode(StrEnum):
    PROACTIVE = "proactive"  # refreshes before sending when expires_in says the token expired
    ON_401 = "on-401"
    NEVER = "never"
    ONCE_THEN_STALE = "once-then-stale"  # refreshes once, then re-presents the old refresh token


class On401Recovery(StrEnum):
    """What the client does when a token it holds as valid gets 401 invalid_token."""

    REFRESH = "refresh"  # the refresh grant (a new authorization when it has no refresh token)
    REAUTHORIZE = "reauthorize"  # a full new login; the refresh token is never tried


class RefreshFailure(StrEnum):
    REAUTHORIZE = "reauthorize"  # a new authorization: the user must log in again
    GIVE_UP = "give-up"  # the tools silently disappear


class Unattended(StrEnum):
    REFRESH_TOKEN = "refresh-token"  # noqa: S105 - scheduled runs start from the stored refresh token
    UNSUPPORTED = "unsupported"  # scheduled runs never reach the server


class StepUpMode(StrEnum):
    REAUTHORIZE_UNION = "reauthorize-union"  # new authorization: previous and challenged scopes
    REAUTHORIZE_CHALLENGED = "reauthorize-challenged"  # new authorization: challenged scopes
    REFRESH_OLD_SCOPE = "refresh-old-scope"  # refreshes with the old scopes (a loop)
    NONE = "none"  # the call fails; no new authorization


class CallbackMethods(StrEnum):
    ANY = "any"
    GET_ONLY = "get-only"  # a 307/308 after the consent POST re-POSTs to the callback


class IssHandling(StrEnum):
    VALIDATE_IF_ADVERTISED = "validate-if-advertised"  # RFC 9207
    REQUIRE = "require"
    IGNORE = "ignore"
    DROPPED = "dropped"  # drops iss, then requires it when the AS advertises support


class ProtocolRevision(StrEnum):
    V2025_03_26 = "2025-03-26"
    V2025_06_18 = "2025-06-18"
    V2025_11_25 = "2025-11-25"
    V2026_07_28 = "2026-07-28"


class ProbeRevision(StrEnum):
    """The revision the unauthenticated first request claims."""

    AS_SPOKEN = ""  # identity.protocol_version
    V2024_11_05 = "2024-11-05"  # a pre-OAuth revision, whatever the client speaks after login


@dataclass(frozen=True, slots=True, kw_only=True)
class Knob[T]:
    """One setting: its value and, for a non-default value, where it was seen and when."""

    value: T
    source: tuple[str, ...] = ()
    observed: str | None = None
    note: str | None = None
    deviates: bool = False  # differs from the default (MCP 2025-11-25) behaviour


def knob[T](value: T) -> Knob[T]:
    """A default (undocumented) knob: frozen, so it can be a dataclass default as is."""
    return Knob(value=value)


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscoveryKnobs:
    mode: Knob[DiscoveryModeKnob] = knob(DiscoveryModeKnob.PRM)
    first_request: Knob[FirstRequest] = knob(FirstRequest.POST)
    on_401: Knob[On401] = knob(On401.DISCOVER)
    prm_order: Knob[tuple[PrmSource, ...]] = knob(
        (PrmSource.HEADER, PrmSource.PATH, PrmSource.ROOT)
    )
    well_known_after_header: Knob[bool] = knob(False)
    miss_statuses: Knob[MissStatuses] = knob(MissStatuses.ANY_4XX)
    miss_body: Knob[MissBody] = knob(MissBody.ANY)
    as_metadata: Knob[AsMetadata] = knob(AsMetadata.OAUTH_OIDC)
    as_candidates: Knob[AsCandidates] = knob(AsCandidates.ALL)
    legacy_fallback: Knob[LegacyFallback] = knob(LegacyFallback.NONE)
    resource_check: Knob[ResourceCheck] = knob(ResourceCheck.EXACT)
    issuer_check: Knob[IssuerCheck] = knob(IssuerCheck.EXACT)
    pkce: Knob[PkcePolicy] = knob(PkcePolicy.REQUIRE_S256)
    protocol_header: Knob[bool] = knob(False)
    # an openid-configuration document must carry the fields OpenID Connect Discovery requires
    # (jwks_uri, ...): a valid RFC 8414 document there fails the connect, with no fallback
    oidc_required_fields: Knob[bool] = knob(False)
    rediscover_before_token: Knob[bool] = knob(False)  # metadata fetched again before /token
    browser_origin: Knob[str] = knob("")  # set: OAuth requests come from a browser (CORS)


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistrationKnobs:
    order: Knob[tuple[RegMethod, ...]] = knob((RegMethod.STATIC, RegMethod.CIMD, RegMethod.DCR))
    cimd_url: Knob[str] = knob("")
    cimd_requires_none: Knob[bool] = knob(False)
    auth_method: Knob[AuthChoice] = knob(AuthChoice.NONE)
    client_name: Knob[str] = knob("mcp-auth-harness")
    application_type: Knob[ApplicationType] = knob(ApplicationType.OMIT)
    scope: Knob[RegScope] = knob(RegScope.OMIT)
    grant_types: Knob[tuple[str, ...]] = knob(("authorization_code", "refresh_token"))
    extra: Knob[tuple[tuple[str, str], ...]] = knob(())
    per_connect: Knob[int] = knob(1)
    reregister_on_reauth: Knob[bool] = knob(False)
    require_echoed_auth_method: Knob[bool] = knob(False)
    unstated_auth_method: Knob[UnstatedAuthMethod] = knob(UnstatedAuthMethod.REQUESTED)


@dataclass(frozen=True, slots=True, kw_only=True)
class RedirectKnobs:
    uris: Knob[tuple[str, ...]] = knob(("http://127.0.0.1:{port}/callback",))
    use: Knob[int] = knob(0)
    port_at_authorize: Knob[PortAtAuthorize] = knob(PortAtAuthorize.AS_REGISTERED)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScopeKnobs:
    sources: Knob[tuple[ScopeSource, ...]] = knob((ScopeSource.CHALLENGE, ScopeSource.PRM))
    fixed: Knob[str] = knob("")
    offline_access: Knob[OfflineAccess] = knob(OfflineAccess.NEVER)
    leading_space: Knob[bool] = knob(False)


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceKnobs:
    mode: Knob[ResourceMode] = knob(ResourceMode.PRM)
    at_token: Knob[bool] = knob(True)


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenUseKnobs:
    bearer: Knob[BearerUse] = knob(BearerUse.ALWAYS)
    redeems_code: Knob[bool] = knob(True)  # False: the code reaches the client, /token never
    sessions: Knob[int] = knob(1)  # MCP sessions opened with each token; the last one is used


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshKnobs:
    mode: Knob[RefreshMode] = knob(RefreshMode.ON_401)
    on_401: Knob[On401Recovery] = knob(On401Recovery.REFRESH)
    on_failure: Knob[RefreshFailure] = knob(RefreshFailure.REAUTHORIZE)
    unattended: Knob[Unattended] = knob(Unattended.REFRESH_TOKEN)


@dataclass(frozen=True, slots=True, kw_only=True)
class StepUpKnobs:
    mode: Knob[StepUpMode] = knob(StepUpMode.REAUTHORIZE_UNION)
    max_attempts: Knob[int] = knob(3)


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackKnobs:
    methods: Knob[CallbackMethods] = knob(CallbackMethods.ANY)
    iss: Knob[IssHandling] = knob(IssHandling.VALIDATE_IF_ADVERTISED)
    sends_state: Knob[bool] = knob(True)  # False: no `state` (PKCE alone binds the response)


@dataclass(frozen=True, slots=True, kw_only=True)
class IdentityKnobs:
    protocol_version: Knob[ProtocolRevision] = knob(ProtocolRevision.V2025_11_25)
    probe_protocol_version: Knob[ProbeRevision] = knob(ProbeRevision.AS_SPOKEN)
    # a stateless (2026-07-28) client whose first MCP request gets 400 without a modern error
    # falls back to `initialize` (2026-07-28 Streamable HTTP §Backward Compatibility)
    handshake_fallback: Knob[bool] = knob(True)
    user_agent: Knob[str] = knob("")  # empty: the harness's own
    oauth_user_agent: Knob[str] = knob("")  # OAuth requests, when they come from elsewhere
    client_info_name: Knob[str] = knob("mcp-auth-harness")
    client_info_version: Knob[str] = knob("")  # empty: the harness version


@dataclass(frozen=True, slots=True, kw_only=True)
class KnownIssue:
    """A documented client bug the simulator does not reproduce (intermittent, or server-proof)."""

    id: str
    text: str
    source: tuple[str, ...]
    observed: str
    mitigation: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConformanceExpectation:
    """Which official conformance-suite scenarios this profile is predicted to fail, and why."""

    fails: tuple[str, ...] = ()
    note: str = ""


SECTIONS = (
    "discovery",
    "registration",
    "redirects",
    "scope",
    "resource",
    "token_use",
    "refresh",
    "step_up",
    "callback",
    "identity",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    name: str
    title: str
    client: str
    kind: ProfileKind
    observed: str
    description: str = ""
    path: str = ""
    discovery: DiscoveryKnobs = field(default_factory=DiscoveryKnobs)
    registration: RegistrationKnobs = field(default_factory=RegistrationKnobs)
    redirects: RedirectKnobs = field(default_factory=RedirectKnobs)
    scope: ScopeKnobs = field(default_factory=ScopeKnobs)
    resource: ResourceKnobs = field(default_factory=ResourceKnobs)
    token_use: TokenUseKnobs = field(default_factory=TokenUseKnobs)
    refresh: RefreshKnobs = field(default_factory=RefreshKnobs)
    step_up: StepUpKnobs = field(default_factory=StepUpKnobs)
    callback: CallbackKnobs = field(default_factory=CallbackKnobs)
    identity: IdentityKnobs = field(default_factory=IdentityKnobs)
    known_issues: tuple[KnownIssue, ...] = ()
    conformance: ConformanceExpectation = field(default_factory=ConformanceExpectation)

    def quirks(self) -> list[tuple[str, Knob[object]]]:
        """Every knob that deviates from the default, as (`section.knob`, knob)."""
        return [(path, value) for path, value in self.knobs() if value.deviates]

    def knobs(self) -> list[tuple[str, Knob[object]]]:
        """Every knob as (`section.knob`, knob), in section order."""
        found: list[tuple[str, Knob[object]]] = []
        for section in SECTIONS:
            record = getattr(self, section)
            for name in record.__dataclass_fields__:
                found.append((f"{section}.{name}", getattr(record, name)))
        return found

    def sources(self, *paths: str) -> tuple[str, ...]:
        """The sources of the named knobs (`section.knob`), without duplicates."""
        out: list[str] = []
        for path in paths:
            section, _, name = path.partition(".")
            value: Knob[object] = getattr(getattr(self, section), name)
            out += [s for s in value.source if s not in out]
        return tuple(out)

    def is_quirk(self, path: str) -> bool:
        """A documented deviation of a real client (spec profiles have rules, not quirks)."""
        section, _, name = path.partition(".")
        value: Knob[object] = getattr(getattr(self, section), name)
        return self.kind is ProfileKind.CLIENT and value.deviates
