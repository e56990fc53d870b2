"""Turning what the server answered into the steps of a profile's flow.

Each function gets one outcome of the OAuth flow and returns the `Step` a journey records: `ok`,
or `failed` with the impact on this client (see `harness.profiles.diagnose`).
"""

from __future__ import annotations

from collections.abc import Callable

from harness.oauth.authorize import AuthorizationFlow
from harness.oauth.discovery import Discovery
from harness.oauth.registration import AuthMethod
from harness.oauth.tokens import TokenResponse
from harness.probes.scenarios.journey import Impact, Phase, Step
from harness.profiles import clauses, diagnose
from harness.profiles.connection import Connection
from harness.profiles.diagnose import MCP_AUTH, RFC9207, refused
from harness.profiles.knobs import RedirectPlan
from harness.profiles.model import (
    CallbackMethods,
    IssHandling,
    Profile,
    UnstatedAuthMethod,
)

Stop = Callable[[str, Impact], Step]


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
