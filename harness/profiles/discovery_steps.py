"""The discovery steps of a profile's flow: its first request, the metadata it found (or the
order that did not find it), and what it fetches again before the token request.

Each function returns the `Step` a journey records: `failed` with the impact on this client
(see `harness.profiles.diagnose`), or None when this client has no problem with what was found.
"""

from __future__ import annotations

from dataclasses import replace

from harness.errors import NotApplicable
from harness.http import Response
from harness.oauth.discovery import Discovery
from harness.probes.scenarios.journey import Impact, Must, Phase, Step, impact
from harness.profiles import clauses
from harness.profiles.diagnose import BROKEN, MCP_AUTH, refused
from harness.profiles.model import MissBody, PkcePolicy, Profile, ProfileKind
from harness.results import Attribution

DISCOVERY_KNOBS = (
    "discovery.mode",
    "discovery.prm_order",
    "discovery.well_known_after_header",
    "discovery.miss_statuses",
    "discovery.as_metadata",
    "discovery.as_candidates",
    "discovery.legacy_fallback",
    "discovery.resource_check",
    "discovery.issuer_check",
)
OIDC_PATH = "/.well-known/openid-configuration"
OIDC_DISCOVERY = "https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata"
OIDC_REQUIRED = (
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "response_types_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
)
CORS_FIX = (
    "send CORS headers (Access-Control-Allow-Origin, and expose WWW-Authenticate) on the "
    "metadata, /register and /token endpoints"
)


def failed(name: str, detail: str, response: Response | None, impact: Impact) -> Step:
    exchanges = (response.exchange,) if response is not None else ()
    return Step(name=name, outcome="failed", detail=detail, exchanges=exchanges, impact=impact)


def first_response(profile: Profile, response: Response) -> Step | None:
    if response.status == 401:
        return None
    if 200 <= response.status < 300:
        raise NotApplicable(
            f"the MCP endpoint answered {response.status} without credentials: it does not "
            "ask for OAuth"
        )
    text = (
        f"the MCP request without a token got {response.summary()} instead of 401 with a "
        "Bearer challenge; clients never start OAuth"
    )
    # A 400 may be the server refusing this client's protocol revision before authenticating
    # (2025-11-25 transports: 400 for an unsupported MCP-Protocol-Version): no MUST is proven.
    must = None if response.status == 400 else clauses.UNAUTHENTICATED_401
    if must is None:
        identity = profile.identity
        revision = identity.probe_protocol_version.value or identity.protocol_version.value
        text += f" (the server may not speak this client's revision {revision})"
    return _stopped(
        profile,
        text,
        response,
        sources=(MCP_AUTH,),
        remediation="answer MCP requests without a token with 401 and "
        "WWW-Authenticate: Bearer resource_metadata=…",
        must=must,
    )


def gives_up(profile: Profile, response: Response) -> Step:
    text = "this client stops at the first 401 and never fetches discovery metadata"
    return _stopped(
        profile,
        text,
        response,
        knob="discovery.on_401",
        remediation="serve PRM at the path-suffixed well-known URI as well",
    )


def _stopped(
    profile: Profile,
    text: str,
    response: Response,
    *,
    knob: str | None = None,
    remediation: str,
    sources: tuple[str, ...] = (),
    must: Must | None = None,
) -> Step:
    """Discovery stopped at `response`: the client's doing when `knob` is its documented quirk."""
    return failed(
        "discovery",
        text,
        response,
        impact=refused(
            Phase.DISCOVER,
            text,
            topic="discovery",
            profile=profile,
            knobs=(knob,) if knob else (),
            sources=sources,
            remediation=remediation,
            must=must,
        ),
    )


def discovery(profile: Profile, found: Discovery) -> Step | None:
    """Problems this client has with metadata that was found (None: none)."""
    knobs = profile.discovery
    if knobs.miss_body.value is MissBody.JSON:
        for attempt in found.attempts:
            fetch = attempt.fetch
            if fetch is None or fetch.document is not None or fetch.response.status == 200:
                continue
            if "json" not in fetch.response.content_type:
                text = (
                    f"{attempt.url} answered {fetch.response.summary()} (not JSON); this client's "
                    "OAuth error parser fails on non-JSON error bodies"
                )
                return _stopped(
                    profile,
                    text,
                    fetch.response,
                    knob="discovery.miss_body",
                    remediation="answer unserved OAuth well-known URIs with a JSON body "
                    '(e.g. {"error": "not_found"}) and a 404',
                )
    origin = knobs.browser_origin.value
    if origin and found.endpoints is not None:
        for attempt in found.attempts:
            fetch = attempt.fetch
            if fetch is None or fetch.document is None or attempt.rejected:
                continue
            allowed = fetch.response.header("access-control-allow-origin")
            if allowed not in {"*", origin}:
                text = (
                    f"{attempt.url} sends no Access-Control-Allow-Origin for {origin}; this "
                    "browser-based client cannot read the metadata"
                )
                return failed(
                    "discovery",
                    text,
                    fetch.response,
                    impact=impact(
                        BROKEN,
                        Phase.DISCOVER,
                        text,
                        topic="discovery",
                        attribution=Attribution.INTEROP,  # no spec requires CORS
                        sources=profile.sources("discovery.browser_origin"),
                        remediation=CORS_FIX,
                    ),
                )
    oidc = _oidc_fields_missing(profile, found)
    if oidc is not None:
        return oidc
    metadata = found.as_metadata
    methods = metadata.code_challenge_methods_supported if metadata is not None else None
    refuse = (
        "S256" not in (methods or ())
        if knobs.pkce.value is PkcePolicy.REQUIRE_S256
        else (methods is not None and "S256" not in methods)
    )
    if found.endpoints is not None and refuse:
        text = (
            "the authorization server does not advertise PKCE S256 "
            f"(code_challenge_methods_supported={list(methods) if methods else None}); "
            "this client refuses to proceed"
        )
        return Step(
            name="discovery",
            outcome="failed",
            detail=text,
            exchanges=found.exchanges,
            impact=impact(
                BROKEN,
                Phase.DISCOVER,
                text,
                topic="discovery",
                attribution=Attribution.SERVER,
                sources=(*profile.sources("discovery.pkce"), MCP_AUTH),
                remediation='advertise code_challenge_methods_supported: ["S256"]',
                must=clauses.PKCE_ADVERTISED,
            ),
        )
    return None


def _oidc_fields_missing(profile: Profile, found: Discovery) -> Step | None:
    """A client that validates openid-configuration as OpenID Connect Discovery metadata."""
    url = found.as_metadata_url
    if not profile.discovery.oidc_required_fields.value or not url or OIDC_PATH not in url:
        return None
    attempt = next((a for a in found.attempts if a.url == url and a.fetch is not None), None)
    document = attempt.fetch.document if attempt is not None and attempt.fetch else None
    if attempt is None or attempt.fetch is None or document is None:
        return None
    missing = [name for name in OIDC_REQUIRED if name not in document]
    if not missing:
        return None
    text = (
        f"{url} lacks the fields OpenID Connect Discovery requires ({', '.join(missing)}); "
        "this client rejects the document and tries no other metadata"
    )
    return _stopped(
        profile,
        text,
        attempt.fetch.response,
        knob="discovery.oidc_required_fields",
        sources=(OIDC_DISCOVERY,),
        remediation="serve RFC 8414 metadata at /.well-known/oauth-authorization-server, or "
        "give openid-configuration every field OpenID Connect Discovery requires "
        f"({', '.join(missing)})",
    )


def discovery_failed(profile: Profile, found: Discovery, spec: Discovery) -> Step:
    """No endpoints for this client; `spec` is what a spec-following client found."""
    problem = found.as_problem or found.prm_problem or "no authorization server metadata"
    spec_found = spec.endpoints is not None and spec.endpoints.authorization_endpoint is not None
    if spec_found:
        text = (
            "this client's discovery order does not reach the metadata the server serves "
            f"({problem})"
        )
        # a spec profile follows its revision's rules: a 2025-11-25 client finds the metadata
        revision = profile.kind is ProfileKind.SPEC
        if revision:
            text += (
                f"; the {profile.identity.protocol_version.value} discovery rules differ from "
                "those the server follows"
            )
        step_impact = refused(
            Phase.DISCOVER,
            text,
            topic="discovery",
            profile=profile,
            knobs=tuple(k for k in DISCOVERY_KNOBS if profile.is_quirk(k)) or DISCOVERY_KNOBS,
            attribution=Attribution.REVISION if revision else None,
            remediation=(
                "serve protected resource metadata at the path-suffixed and the root "
                "well-known URIs, not only at the resource_metadata URL",
                "serve RFC 8414 metadata (/.well-known/oauth-authorization-server) as well as "
                "OpenID discovery, and answer unserved well-known URIs with 404",
            ),
        )
    else:
        text = f"discovery found no usable authorization server metadata ({problem})"
        step_impact = refused(
            Phase.DISCOVER,
            text,
            topic="discovery",
            profile=profile,
            sources=(MCP_AUTH,),
            remediation="serve RFC 9728 protected resource metadata naming the authorization "
            "server, and RFC 8414 metadata for that issuer",
            must=clauses.PRM_SERVED if spec.prm is None else clauses.AS_METADATA_SERVED,
        )
    return Step(
        name="discovery",
        outcome="failed",
        detail=text,
        exchanges=found.exchanges,
        impact=step_impact,
    )


def rediscovery_failed(profile: Profile, again: Discovery) -> Step:
    problem = again.as_problem or again.prm_problem or "no token endpoint"
    text = (
        "the metadata this client fetches again before the token request no longer names a "
        f"token endpoint ({problem})"
    )
    return Step(
        name="discovery again (before the token request)",
        outcome="failed",
        detail=text,
        exchanges=again.exchanges,
        impact=refused(
            Phase.TOKEN,
            text,
            topic="discovery",
            profile=profile,
            sources=(MCP_AUTH,),
            remediation="keep serving the same metadata for the whole authorization",
        ),
    )


def legacy_defaults_missed(profile: Profile, failure: Step, was: Impact, spec: Discovery) -> Step:
    """`failure` (with impact `was`) at a default endpoint (/authorize, /token, /register on the
    MCP origin) the server does not offer: it serves a later revision's metadata (`spec`)."""
    revision = profile.identity.protocol_version.value
    where = spec.as_metadata_url or spec.prm_url or "its well-known URIs"
    text = (
        f"{failure.detail}; this {revision} client found no RFC 8414 metadata at the MCP origin "
        "and used the default endpoints there, while the server serves the metadata of a later "
        f"revision ({where})"
    )
    fix = (
        "serve RFC 8414 metadata at the MCP origin (/.well-known/oauth-authorization-server), "
        f"which {revision} clients read, or the default /authorize, /token and /register there"
    )
    moved = impact(
        was.verdict,
        was.phase,
        text,
        attribution=Attribution.REVISION,
        sources=(*was.reason.sources, *profile.sources("discovery.mode")),
        remediation=(fix, *was.remediation),
        topic=was.topic,
    )
    return replace(failure, detail=text, impact=moved)
