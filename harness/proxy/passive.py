"""Passive checks over traffic the proxy observed: the clients judged, and the server.

The exchanges are the clients' view (what each client sent, what it got back). They are split by
client (`harness.traffic.clients`); each client gets every client.* result under the profile
`observed:<clientInfo name or User-Agent>` and one compatibility entry. The server is judged on
the exchanges no fault touched (`faulted` lists the positions of the others).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime

from harness.checks import OBSERVED_CHECKS
from harness.exchange import Exchange
from harness.proxy.server_side import judge_server
from harness.results import Attribution, Compatibility, CompatVerdict, Reason, Result, Verdict
from harness.traffic import Kind, ObservedClient, clients, read

FINDINGS = frozenset({Verdict.FAIL, Verdict.WARN})


Faulted = Collection[int] | Mapping[int, Sequence[str]]  # positions, or positions → what acted


def judge_observed(
    exchanges: Sequence[Exchange], *, faulted: Faulted = ()
) -> tuple[list[Result], list[Compatibility]]:
    """Judge recorded exchanges; returns the results and one compatibility entry per client.

    `faulted` holds positions in `exchanges` (a mapping also names the faults that acted)."""
    recorded = tuple(exchanges)
    # By identity: reading may reorder the exchanges (by send time), positions would shift.
    acted = {id(recorded[i]): _names(faulted, i) for i in faulted if 0 <= i < len(recorded)}
    results: list[Result] = []
    entries: list[Compatibility] = []
    for client in clients(recorded):
        judged = [check.run(client, profile=client.profile) for check in OBSERVED_CHECKS]
        results += judged
        faults = sorted({n for o in client.observed for n in acted.get(id(o.exchange), ())})
        entries.append(compatibility(client, judged, faults=faults))
    untouched = tuple(o for o in read(recorded) if id(o.exchange) not in acted)
    return judge_server(untouched) + results, entries


def _names(faulted: Faulted, position: int) -> tuple[str, ...]:
    names = tuple(faulted[position]) if isinstance(faulted, Mapping) else ()
    return names or ("a fault",)


def compatibility(
    client: ObservedClient, results: Sequence[Result], *, faults: Sequence[str] = ()
) -> Compatibility:
    """Whether the client got to use the server: broken when no tool call or other MCP request
    with a token succeeded; degraded when it did but broke or bent a rule on the way.

    `faults` names what the proxy did to this client's traffic: a client stopped by an injected
    fault is not the server's doing (surviving a fault is resilience the spec does not impose)."""
    seen = (f"observed {_day(client)}, {client.name} through the proxy",)
    reasons = tuple(
        Reason(text=f"{r.check}: {r.message}", attribution=Attribution.CLIENT, sources=seen)
        for r in results
        if r.verdict in FINDINGS
    )
    used = [o for o in client.of(Kind.MCP) if o.bearer and o.ok]
    if not used:
        phase = _stuck_at(client)
        text = f"no request with a token succeeded; the client got as far as {phase}"
        attribution = Attribution.SERVER
        if faults:
            text += f", with the proxy's injected fault ({', '.join(faults)}) on its traffic"
            attribution = Attribution.INTEROP
        if any(r.verdict is Verdict.FAIL for r in results):
            attribution = Attribution.CLIENT  # a client that broke a MUST is the likelier cause
        why = Reason(text=text, attribution=attribution)
        return Compatibility(
            profile=client.profile,
            verdict=CompatVerdict.BROKEN,
            phase=phase,
            reasons=(why, *reasons),
        )
    verdict = CompatVerdict.DEGRADED if reasons else CompatVerdict.WORKS
    return Compatibility(profile=client.profile, verdict=verdict, reasons=reasons)


def _stuck_at(client: ObservedClient) -> str:
    """The last phase of the connection the client reached."""
    kinds = {o.kind for o in client.observed}
    issued = any(o.issued("access_token") for o in client.of(Kind.TOKEN))
    if issued:
        return "call"
    for kind, phase in (
        (Kind.TOKEN, "token"),
        (Kind.AUTHORIZE, "authorize"),
        (Kind.REGISTER, "register"),
    ):
        if kind in kinds:
            return phase
    return "discover"


def _day(client: ObservedClient) -> str:
    """The day the traffic was seen (today when the exchanges carry no time)."""
    at = next((o.at for o in client.observed if o.at is not None), None)
    moment = datetime.fromtimestamp(at, UTC) if at is not None else datetime.now(UTC)
    return moment.date().isoformat()
