"""scenario.*: whole client journeys of each profile, judged step by step.

One generic judgement. `fail` only when the server breaks a MUST, named in the message and the
result's spec refs: a `violation` (a MUST broken whatever the client), or an impact attributed
to the server that names the clause it breaks. Any other breakage (a documented client bug, a
protocol-revision mismatch, an interoperability need such as CORS, or a server that is merely
strict) is `warn`: the compatibility entry carries `broken` or `degraded` with the attribution
and the fix. A scenario that does not apply to a profile is `skip`.
"""

from __future__ import annotations

from harness.checks.base import ClauseBroken, check
from harness.errors import CheckFailed, NotApplicable, TargetError
from harness.exchange import Exchange
from harness.probes.scenarios.journey import (
    CallbackJourney,
    DiscoveryJourney,
    ExpiryJourney,
    Impact,
    Journey,
    MissingBearerJourney,
    RefreshNeverJourney,
    ResourceJourney,
    StepUpJourney,
    UnattendedJourney,
)
from harness.results import Level, Severity

MCP = "MCP 2025-11-25 Authorization"


def judge_journey(ev: Journey) -> str:
    for step in ev.steps:
        broken = step.violation
        if broken is None:
            continue
        raise ClauseBroken(
            expected=f"{step.name} to be refused or handled per the spec",
            actual=broken.text,
            evidence=step.exchanges,
            refs=(broken.must.ref,),
            message=f"{ev.profile}: {broken.text}; the server breaks {broken.must}",
        )
    ranked = sorted(ev.impacts, key=lambda i: i.rank)
    for found in ranked:
        must = found.server_must
        if must is not None:
            raise ClauseBroken(
                expected=f"{ev.profile} to keep working",
                actual=found.reason.text,
                evidence=_exchanges(ev, found),
                refs=(must.ref,),
                message=f"{_headline(ev, found)}; the server breaks {must}{_fix(found)}",
            )
    if ranked:
        worst = ranked[0]
        raise CheckFailed(
            expected=f"{ev.profile} to keep working",
            actual=worst.reason.text,
            evidence=_exchanges(ev, worst),
            should=True,  # compatibility, not conformance: no MUST is broken
            message=f"{_headline(ev, worst)}; no MUST is broken{_fix(worst)}",
        )
    return _exercised(ev)


def _exercised(ev: Journey) -> str:
    """A pass only for a journey that reached the server and whose every step went through; a
    step that failed with no judgement (a transport failure) is `error` with its exchanges."""
    for step in ev.steps:
        if step.outcome == "failed":
            raise TargetError(
                f"{ev.profile}: {step.name} failed ({step.detail or 'no detail'}); "
                f"the journey was not judged: {ev.summary()}",
                step.exchanges or ev.exchanges,
            )
    if not ev.exchanges:
        raise NotApplicable(f"{ev.profile}: no request of this journey reached the server")
    return f"{ev.profile}: {ev.summary()}"


def _headline(ev: Journey, found: Impact) -> str:
    return (
        f"{ev.profile} {found.verdict.value} at {found.phase.value}: {found.reason.text} "
        f"(attribution: {found.reason.attribution.value})"
    )


def _fix(found: Impact) -> str:
    return f"; fix: {found.remediation[0]}" if found.remediation else ""


def _exchanges(ev: Journey, found: Impact) -> tuple[Exchange, ...]:
    step = next(s for s in ev.steps if s.impact is found)
    return step.exchanges or ev.exchanges


@check(
    "scenario.happy-path",
    level=Level.MUST,
    severity=Severity.HIGH,
    per_profile=True,
    refs=(f"{MCP} §Authorization Flow Steps",),
)
def happy_path(ev: Journey) -> str:
    """The client connects as it really does, calls a tool, refreshes as it does, calls again."""
    return judge_journey(ev)


@check(
    "scenario.missing-bearer",
    level=Level.MUST,
    severity=Severity.HIGH,
    per_profile=True,
    refs=("RFC 6750 §3.1", f"{MCP} §Authorization Server Discovery"),
)
def missing_bearer(ev: MissingBearerJourney) -> str:
    """After OAuth, a request without the bearer gets 401 with a usable challenge."""
    return judge_journey(ev)


@check(
    "scenario.expiry-mid-run",
    level=Level.MUST,
    severity=Severity.MEDIUM,
    per_profile=True,
    refs=(f"{MCP} §Token Handling", "OAuth 2.1 §4.3"),
)
def expiry_mid_run(ev: ExpiryJourney) -> str:
    """The access token expires during a run and the client recovers as it really does."""
    return judge_journey(ev)


@check(
    "scenario.discovery-404",
    level=Level.MUST,
    severity=Severity.HIGH,
    per_profile=True,
    refs=("RFC 9728 §3", "RFC 8414 §3", f"{MCP} §Authorization Server Discovery"),
)
def discovery_404(ev: DiscoveryJourney) -> str:
    """The client's own probe order (and miss statuses) reaches the server's metadata."""
    return judge_journey(ev)


@check(
    "scenario.refresh-never",
    level=Level.SHOULD,
    severity=Severity.MEDIUM,
    per_profile=True,
    refs=(f"{MCP} §Token Handling",),
)
def refresh_never(ev: RefreshNeverJourney) -> str:
    """Clients that never refresh: how often their users must reconnect."""
    return judge_journey(ev)


@check(
    "scenario.unattended-run",
    level=Level.SHOULD,
    severity=Severity.MEDIUM,
    per_profile=True,
    refs=("OAuth 2.1 §4.3", "RFC 9700 §4.14"),
)
def unattended_run(ev: UnattendedJourney) -> str:
    """A scheduled run with only a refresh token and no user keeps working (twice)."""
    return judge_journey(ev)


@check(
    "scenario.step-up",
    level=Level.SHOULD,
    severity=Severity.MEDIUM,
    per_profile=True,
    refs=(f"{MCP} §Scope Challenge Handling", "RFC 6750 §3.1"),
)
def step_up(ev: StepUpJourney) -> str:
    """A call that needs more scope gets 403 insufficient_scope and the client steps up."""
    return judge_journey(ev)


@check(
    "scenario.resource-variants",
    level=Level.MUST,
    severity=Severity.HIGH,
    per_profile=True,
    refs=("RFC 8707 §2", f"{MCP} §Resource Parameter Implementation"),
)
def resource_variants(ev: ResourceJourney) -> str:
    """The `resource` value this client sends (or omits) is accepted end to end."""
    return judge_journey(ev)


@check(
    "scenario.callback-status",
    level=Level.MUST,
    severity=Severity.HIGH,
    per_profile=True,
    refs=("RFC 9700 §4.12", "RFC 9207 §2.4"),
)
def callback_status(ev: CallbackJourney) -> str:
    """The authorization response reaches this client's callback in a form it accepts."""
    return judge_journey(ev)


CHECKS = (
    happy_path,
    discovery_404,
    callback_status,
    resource_variants,
    missing_bearer,
    expiry_mid_run,
    refresh_never,
    unattended_run,
    step_up,
)
