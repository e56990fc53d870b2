"""Scenarios read off the profile's main connection: its discovery path, its callback, and the
`resource` value it sends."""

from __future__ import annotations

from harness.engine import Probe, Run
from harness.errors import NotApplicable
from harness.probes.scenarios.base import profile_client
from harness.probes.scenarios.journey import (
    CallbackJourney,
    DiscoveryJourney,
    Journey,
    ResourceJourney,
    Step,
)
from harness.profiles.connection import Connection
from harness.profiles.knobs import resource_choice
from harness.profiles.model import CallbackMethods


async def probe_discovery(run: Run, profile: str | None) -> DiscoveryJourney:
    client = await profile_client(run, profile)
    connection = await run.need(Connection, profile)
    name = client.profile.name
    first = connection.steps[0] if connection.steps else None
    found = connection.discovery
    if found is None:
        if first is None:
            raise NotApplicable("the flow did not start")
        return DiscoveryJourney(profile=name, steps=(first,))
    steps = [
        Step(
            name=f"{attempt.kind.value} {attempt.url}",
            outcome="ok" if attempt.problem is None else "skipped",
            detail=attempt.problem or "used",
            exchanges=attempt.exchanges,
        )
        for attempt in found.attempts
    ]
    where = found.as_metadata_url or "the default endpoints"
    steps.append(Step(name="discovery", outcome="ok", detail=f"metadata from {where}"))
    return DiscoveryJourney(profile=name, steps=tuple(steps))


async def probe_callback(run: Run, profile: str | None) -> CallbackJourney:
    client = await profile_client(run, profile)
    connection = await run.need(Connection, profile)
    name = client.profile.name
    failed = next(
        (s for s in connection.steps if s.name == "authorization" and s.outcome == "failed"),
        None,
    )
    if failed is not None and failed.impact is not None and failed.impact.topic == "callback":
        return CallbackJourney(profile=name, steps=(failed,))
    answer = connection.callback
    if answer is None:
        raise NotApplicable(
            f"the flow did not reach the authorization response ({connection.why_not()})"
        )
    status = answer.redirect_status
    detail = f"HTTP {status}" + (", iss present" if answer.iss else ", no iss")
    if status in {307, 308} and client.profile.callback.methods.value is CallbackMethods.ANY:
        detail += " (this client's callback takes any method; GET-only callbacks would break)"
    step = Step(
        name="authorization response",
        outcome="ok",
        detail=detail,
        exchanges=connection.callback_exchanges[-1:],
    )
    return CallbackJourney(profile=name, steps=(step,))


async def probe_resource(run: Run, profile: str | None) -> ResourceJourney:
    client = await profile_client(run, profile)
    connection = await run.need(Connection, profile)
    if connection.discovery is None:
        raise NotApplicable(f"discovery failed ({connection.why_not()})")
    choice = connection.resource or resource_choice(client.profile, connection.discovery)
    journey = await run.need(Journey, profile)
    sent = Step(
        name=f"sends {choice.describe()}", outcome="ok", detail=f"expected {choice.expected}"
    )
    refused = tuple(
        s for s in journey.steps if s.impact is not None and s.impact.topic == "resource"
    )
    if refused:
        return ResourceJourney(profile=client.profile.name, steps=(sent, *refused))
    calls = {"initialize", "tools/list"}
    used = [s for s in journey.steps if s.name in calls and s.outcome == "ok"]
    if not used:
        raise NotApplicable(
            f"the flow stopped before the resource could be judged ({connection.why_not()})"
        )
    accepted = Step(
        name="accepted",
        outcome="ok",
        detail="at the authorization and token endpoints and by the MCP server",
        exchanges=tuple(e for s in used for e in s.exchanges),  # the calls that judged it
    )
    return ResourceJourney(profile=client.profile.name, steps=(sent, accepted))


PROBES: dict[type, Probe] = {
    DiscoveryJourney: probe_discovery,
    CallbackJourney: probe_callback,
    ResourceJourney: probe_resource,
}
