"""Turning what the server answered into the steps of a profile's flow.

Each function gets one outcome of the OAuth flow and returns the `Step` a journey records: `ok`,
or `failed` with the impact on this client (see `harness.profiles.diagnose`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from harness.errors import NotApplicable
from harness.http import Response
from harness.oauth.authorize import AuthorizationFlow
from harness.oauth.discovery import Discovery
from harness.oauth.registration import AuthMethod
from harness.oauth.tokens import TokenResponse
from harness.probes.scenarios.journey import Impact, Phase, Step, impact
from harness.profiles import clauses, diagnose
from harness.profiles.connection import Connection
from harness.profiles.diagnose import BROKEN, MCP_AUTH, RFC9207, refused
from harness.profiles.knobs import RedirectPlan
from harness.profiles.model import (
    CallbackMethods,
    IssHandling,
    MissBody,
    PkcePolicy,
    Profile,
    ProfileKind,
    UnstatedAuthMethod,
)
from harness.results import Attribution

Stop = Callable[[str, Impact], Step]

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
    return failed(
        "discovery",
        text,
        response,
        impact=refused(
            Phase.DISCOVER,
            text,
            topic="discovery",
            profile=profile,
            sources=(MCP_AUTH,),
            remediation="answer MCP requests without a token with 401 and "
            "WWW-Authenticate: Bearer resource_metadata=…",
            must=must,
        ),
    )


def gives_up(profile: Profile, response: Response) -> Step:
    text = "this client stops at the first 401 and never fetches discovery metadata"
    return _discovery_quirk(
        profile,
        text,
        response,
        "discovery.on_401",
        remediation="serve PRM at the path-suffixed well-known URI as well",
    )


def _discovery_quirk(
    profile: Profile,
    text: str,
    response: Response,
    knob: str,
    *,
    remediation: str,
    sources: tuple[str, ...] = (),
) -> Step:
    """Discovery stopped by the client's documented quirk `knob` at `response`."""
    return failed(
        "discovery",
        text,
        response,
        impact=refused(
            Phase.DISCOVER,
            text,
            topic="discovery",
            profile=profile,
            knobs=(knob,),
            sources=sources,
            remediation=remediation,
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
                return _discovery_quirk(
                    profile,
                    text,
                    fetch.response,
                    "discovery.miss_body",
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
    return _discovery_quirk(
        profile,
        text,
        attempt.fetch.response,
        "discovery.oidc_required_fields",
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


def authorization(
    profile: Profile,
    found: Discovery,
    flow: AuthorizationFlow,
    state: str | None,
    connection: Connection,
) -> Step | None:
    """The authorization response as this client's callback sees it (None: ok, or the caller
    has to diagnose a flow that ended without a redirect)."""
    answer = flow.response
    if answer is None:
        plan = connection.plan
        if plan is not None and plan.port_differs:
            return None
        text = f"the authorization request did not come back to the client: {flow.problem}"
        return Step(
            name="authorization",
            outcome="failed",
            detail=text,
            exchanges=flow.exchanges,
            impact=refused(Phase.AUTHORIZE, text, profile=profile, sources=(MCP_AUTH,)),
        )

    def stop(text: str, step_impact: Impact) -> Step:
        return Step(
            name="authorization",
            outcome="failed",
            detail=text,
            exchanges=flow.exchanges,
            impact=step_impact,
        )

    if answer.redirect_status in {307, 308} and (
        profile.callback.methods.value is CallbackMethods.GET_ONLY
    ):
        found_impact = diagnose.redirect_status(profile, answer.redirect_status)
        return stop(found_impact.reason.text, found_impact)
    if answer.error is not None:
        error = answer.error + (
            f" ({answer.error_description})" if answer.error_description else ""
        )
        if answer.error == "invalid_target" and connection.resource is not None:
            found_impact = diagnose.resource_refused(
                profile, Phase.AUTHORIZE, error, connection.resource
            )
        elif answer.error == "invalid_scope":
            found_impact = diagnose.scope_refused(profile, Phase.AUTHORIZE, error, connection.scope)
        else:
            found_impact = refused(
                Phase.AUTHORIZE, f"the authorization request was refused: {error}", profile=profile
            )
        return stop(found_impact.reason.text, found_impact)
    if answer.code is None:
        text = "the authorization response carries no code"
        return stop(
            text,
            refused(Phase.AUTHORIZE, text, profile=profile, must=clauses.CODE_RETURNED),
        )
    if answer.state != state:
        text = "the authorization response did not return `state` unchanged; the client aborts"
        return stop(
            text,
            refused(
                Phase.AUTHORIZE,
                text,
                profile=profile,
                sources=(MCP_AUTH,),
                must=clauses.STATE_RETURNED,
            ),
        )
    return _iss(profile, found, answer.iss, stop)


def _iss(profile: Profile, found: Discovery, iss: str | None, stop: Stop) -> Step | None:
    handling = profile.callback.iss.value
    metadata = found.as_metadata
    advertised = metadata is not None and metadata.authorization_response_iss_parameter_supported
    issuer = (metadata.issuer if metadata else None) or found.issuer
    text: str | None = None
    knobs: tuple[str, ...] = ()
    if handling is IssHandling.VALIDATE_IF_ADVERTISED:
        if advertised and iss != issuer:
            text = f"iss={iss!r} does not equal the issuer {issuer!r} although the AS advertises it"
        elif iss is not None and iss != issuer:
            text = f"iss={iss!r} does not equal the issuer {issuer!r}"
    elif handling is IssHandling.REQUIRE and iss is None:
        text, knobs = (
            "the authorization response has no iss; this client requires it",
            ("callback.iss",),
        )
    elif handling is IssHandling.DROPPED and advertised:
        text = "this client drops iss from the callback, then requires it because the AS "
        text += "advertises authorization_response_iss_parameter_supported"
        knobs = ("callback.iss",)
    if text is None:
        return None
    fix = "send iss equal to the issuer (RFC 9207) whenever it is advertised"
    if knobs:
        fix = (
            "send iss (RFC 9207); a client that drops it only works if the AS does not advertise it"
        )
    step_impact = refused(
        Phase.AUTHORIZE,
        text,
        profile=profile,
        knobs=knobs,
        sources=(RFC9207,),
        remediation=fix,
        topic="callback",
        must=None if knobs else clauses.ISS_SENT,
    )
    return stop(text, step_impact)


def port_refused(profile: Profile, plan: RedirectPlan, problem: str, control_ok: bool) -> Step:
    if control_ok:
        found = diagnose.loopback_port_refused(profile, plan)
    else:
        found = refused(
            Phase.AUTHORIZE,
            f"the authorization request did not come back to the client: {problem}",
            profile=profile,
        )
    return Step(name="authorization", outcome="failed", detail=found.reason.text, impact=found)


def no_token_endpoint(profile: Profile, found: Discovery) -> Step:
    text = "no token endpoint was discovered"
    return Step(
        name="token",
        outcome="failed",
        detail=text,
        exchanges=found.exchanges,
        impact=refused(Phase.TOKEN, text, profile=profile, must=clauses.TOKEN_ENDPOINT_LISTED),
    )


def never_redeems(profile: Profile) -> Step:
    text = "this client never sends the code to the token endpoint"
    return Step(
        name="token",
        outcome="failed",
        detail=text,
        impact=refused(
            Phase.TOKEN,
            text,
            profile=profile,
            knobs=("token_use.redeems_code",),
            remediation="nothing server-side: the client must be fixed",
        ),
    )


def token(profile: Profile, redeemed: TokenResponse, connection: Connection) -> Step:
    exchanges = (redeemed.response.exchange,)
    if redeemed.tokens is not None:
        return Step(name="token", outcome="ok", exchanges=exchanges)
    error = redeemed.error or "refused"
    if redeemed.error_description:
        error += f" ({redeemed.error_description})"
    if redeemed.error == "invalid_target" and connection.resource is not None:
        found = diagnose.resource_refused(profile, Phase.TOKEN, error, connection.resource)
    elif redeemed.error == "invalid_scope":
        found = diagnose.scope_refused(profile, Phase.TOKEN, error, connection.scope)
    elif redeemed.error in {"invalid_client", "unauthorized_client"} and unstated_secret(
        profile, connection
    ):
        found = diagnose.unstated_auth_method(profile, error)
    else:
        found = refused(
            Phase.TOKEN,
            f"the token request was refused: {error}",
            profile=profile,
            knobs=("registration.auth_method",),
        )
    return Step(
        name="token", outcome="failed", detail=found.reason.text, exchanges=exchanges, impact=found
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


def unstated_secret(profile: Profile, connection: Connection) -> bool:
    """The client holds an issued secret but authenticates with none: the registration
    response named no method and this client's knob then picks none."""
    client = connection.client
    return (
        profile.registration.unstated_auth_method.value is UnstatedAuthMethod.NONE
        and client is not None
        and client.client_secret is not None
        and client.token_endpoint_auth_method == AuthMethod.NONE
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
