"""Why a simulated client stopped, and whose fault it is: the reasons behind compatibility.

Attribution: `client` when the client deviates from the spec in a documented way (its knob names
the source), `server` when the server violates the spec or is needlessly strict, `revision` when
client and server speak different protocol revisions, `interop` for a need the spec does not
impose (CORS). A spec baseline profile has rules, not bugs. Only a server impact that names the
MUST it breaks (`must`, see `harness.profiles.clauses`) makes a scenario `fail`.
"""

from __future__ import annotations

from harness.probes.scenarios.journey import Impact, Must, Phase, impact
from harness.profiles import clauses
from harness.profiles.knobs import RedirectPlan, ResourceChoice
from harness.profiles.model import Profile, RefreshFailure
from harness.results import Attribution, CompatVerdict

BROKEN = CompatVerdict.BROKEN
DEGRADED = CompatVerdict.DEGRADED
RFC8252_LOOPBACK = "https://www.rfc-editor.org/rfc/rfc8252#section-7.3"
RFC9700_307 = "https://www.rfc-editor.org/rfc/rfc9700#section-4.12"
RFC9207 = "https://www.rfc-editor.org/rfc/rfc9207"
RFC8707 = "https://www.rfc-editor.org/rfc/rfc8707"
RFC6749_SCOPE = "https://www.rfc-editor.org/rfc/rfc6749#section-3.3"
RFC7591 = "https://www.rfc-editor.org/rfc/rfc7591#section-3.2.1"
MCP_AUTH = "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization"
REFRESH_GRACE = "https://github.com/cloudflare/workers-oauth-provider/blob/742e222c55f5adbd8975c964f2248ea8a1670770/README.md"


def blame(profile: Profile, *knobs: str) -> Attribution:
    """`client` when one of `knobs` is a documented quirk of this (real) client."""
    return Attribution.CLIENT if any(profile.is_quirk(k) for k in knobs) else Attribution.SERVER


def resource_refused(profile: Profile, phase: Phase, error: str, choice: ResourceChoice) -> Impact:
    """The AS refused the `resource` (or its absence) this profile sends."""
    who = blame(profile, "resource.mode") if choice.deviates else Attribution.SERVER
    if choice.value is None:
        fix = "default a missing `resource` to the canonical MCP URL instead of refusing it"
    elif choice.deviates:
        fix = f"accept {choice.describe()} as the MCP resource (normalise the trailing slash)"
    else:
        fix = f"accept the PRM resource {choice.value} at the authorization and token endpoints"
    return impact(
        BROKEN,
        phase,
        f"the {phase.value} request was refused ({error}); this client sends {choice.describe()}",
        attribution=who,
        sources=(*profile.sources("resource.mode"), RFC8707),
        remediation=fix,
        topic="resource",
    )


def scope_refused(profile: Profile, phase: Phase, error: str, scope: str | None) -> Impact:
    deviates = any(profile.is_quirk(k) for k in ("scope.sources", "scope.offline_access"))
    return impact(
        BROKEN,
        phase,
        f"the {phase.value} request was refused ({error}); this client asks for scope={scope!r}",
        attribution=Attribution.CLIENT if deviates else Attribution.SERVER,
        sources=(*profile.sources("scope.sources", "scope.offline_access"), RFC6749_SCOPE),
        remediation="grant the subset of known scopes instead of refusing unknown ones",
    )


def unstated_auth_method(profile: Profile, error: str) -> Impact:
    """The token request failed because the registration response named no method."""
    return impact(
        BROKEN,
        Phase.TOKEN,
        f"the token request was refused ({error}): the registration response issued a "
        "client_secret but named no token_endpoint_auth_method, so this client "
        "authenticates with none",
        attribution=Attribution.SERVER,
        sources=(*profile.sources("registration.unstated_auth_method"), RFC7591),
        remediation="name the token_endpoint_auth_method of the issued secret in the "
        "registration response",
        must=clauses.REGISTRATION_ECHO,
    )


def loopback_port_refused(profile: Profile, plan: RedirectPlan) -> Impact:
    return impact(
        BROKEN,
        Phase.AUTHORIZE,
        f"a registered loopback redirect URI with another port ({plan.at_authorize}) was refused; "
        "this client's callback port changes between registration and authorization",
        attribution=Attribution.SERVER,
        sources=(*profile.sources("redirects.port_at_authorize"), RFC8252_LOOPBACK),
        remediation="accept any port for loopback redirect URIs (RFC 8252 §7.3)",
        must=clauses.LOOPBACK_ANY_PORT,
    )


def redirect_status(profile: Profile, status: int) -> Impact:
    return impact(
        BROKEN,
        Phase.AUTHORIZE,
        f"authorization response used HTTP {status}; this client's callback accepts GET only "
        "(after the consent form is posted the browser re-POSTs to it)",
        attribution=Attribution.SERVER,
        sources=(*profile.sources("callback.methods"), RFC9700_307),
        remediation="answer the authorization request with 302 or 303",
        topic="callback",
        must=clauses.NO_307,
    )


def refused(
    phase: Phase,
    text: str,
    *,
    profile: Profile,
    knobs: tuple[str, ...] = (),
    sources: tuple[str, ...] = (),
    remediation: str | tuple[str, ...] = (),
    verdict: CompatVerdict = BROKEN,
    topic: str = "",
    must: Must | None = None,
    attribution: Attribution | None = None,
) -> Impact:
    """A generic failure: the client's fault only when one of `knobs` is a documented quirk
    (unless `attribution` says whose it is); `must` is the clause a server at fault breaks."""
    return impact(
        verdict,
        phase,
        text,
        attribution=attribution or blame(profile, *knobs),
        sources=(*profile.sources(*knobs), *sources),
        remediation=remediation,
        topic=topic,
        must=must,
    )


def never_refreshes(profile: Profile, lifetime: int | None) -> Impact:
    every = f"every {human_duration(lifetime)}" if lifetime is not None else "whenever it expires"
    return impact(
        DEGRADED,
        Phase.LONG_RUN,
        f"this client never uses refresh tokens: users must reconnect {every} "
        "(the access token lifetime)",
        attribution=blame(profile, "refresh.mode"),
        sources=profile.sources("refresh.mode"),
        remediation="issue longer-lived access tokens (e.g. 24 h or more) for this client",
    )


def no_refresh_token(profile: Profile, lifetime: int | None, phase: Phase) -> Impact:
    every = f"every {human_duration(lifetime)}" if lifetime is not None else "at every expiry"
    return impact(
        DEGRADED,
        phase,
        f"no refresh token was issued: users must log in again {every}",
        attribution=Attribution.SERVER,
        sources=("https://www.rfc-editor.org/rfc/rfc9700#section-4.14",),
        remediation="issue (rotating) refresh tokens to public clients that ask for the "
        "refresh_token grant",
    )


def refresh_refused(profile: Profile, phase: Phase, error: str | None) -> Impact:
    """The refresh grant was refused: what follows is this client's `refresh.on_failure`."""
    return impact(
        DEGRADED,
        phase,
        f"the refresh grant was refused ({error or 'refused'}): {_then(profile)}",
        attribution=Attribution.SERVER,
        sources=profile.sources("refresh.on_failure"),
        remediation="accept the refresh token the server issued until it expires",
    )


def stale_refresh_token(profile: Profile, error: str) -> Impact:
    return impact(
        DEGRADED,
        Phase.REFRESH,
        f"the previous refresh token was refused after rotation ({error}); this client "
        "re-presents it, so " + _then(profile),
        attribution=blame(profile, "refresh.mode"),
        sources=(*profile.sources("refresh.mode"), REFRESH_GRACE),
        remediation="keep the previous refresh token valid for a short grace period after "
        "rotation (without revoking the family)",
    )


def _then(profile: Profile) -> str:
    """What users live through when a refresh fails (`refresh.on_failure`)."""
    if profile.refresh.on_failure.value is RefreshFailure.GIVE_UP:
        return "the tools disappear until the user logs in again by hand"
    return "users must log in again"


def human_duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 86400:g} days"
