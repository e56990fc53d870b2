"""scenario.*: whole client journeys of each profile, judged step by step.

One generic judgement: a server `violation` (a MUST broken whatever the client) fails, and so
does a client broken by the server. A client broken by its own documented bug, or merely
degraded, warns: the compatibility entry carries the verdict and the blame. The message names
whose fault it is and what fixes it. A scenario that does not apply to a profile is `skip`.
"""

from __future__ import annotations

from harness.checks.base import check
from harness.errors import CheckFailed
from harness.probes.scenarios.journey import (
    CallbackJourney,
    DiscoveryJourney,
    ExpiryJourney,
    Journey,
    MissingBearerJourney,
    RefreshNeverJourney,
    ResourceJourney,
    StepUpJourney,
    UnattendedJourney,
)
from harness.results import Attribution, CompatVerdict, Level, Severity

MCP = "MCP 2025-11-25 Authorization"


def judge_journey(ev: Journey) -> str:
    for step in ev.violations:
        raise CheckFailed(
            expected=f"{step.name} to be refused or handled per the spec",
            actual=step.violation or step.detail,
            evidence=step.exchanges,
            message=f"{ev.profile}: {step.violation}",
        )
    worst = ev.worst
    if worst is not None:
        step = next(s for s in ev.steps if s.impact is worst)
        fix = f"; fix: {worst.remediation[0]}" if worst.remediation else ""
        raise CheckFailed(
            expected=f"{ev.profile} to keep working",
            actual=worst.reason.text,
            evidence=step.exchanges or ev.exchanges,
            should=not (
                worst.verdict is CompatVerdict.BROKEN
                and worst.reason.attribution is Attribution.SERVER
            ),
            message=(
                f"{ev.profile} {worst.verdict.value} at {worst.phase.value}: {worst.reason.text} "
                f"(attribution: {worst.reason.attribution.value}){fix}"
            ),
        )
    return f"{ev.profile}: {ev.summary()}"


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
