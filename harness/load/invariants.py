"""The load invariants (CONTRACT §4 `load.*`): judgements over the merged tally of the locust
run and the harness's refresh probes. Each returns one `Result` with its evidence; `pass` only
for what the run exercised.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Final

from harness.errors import NotApplicable, TargetError
from harness.load.material import Plan
from harness.load.names import (
    HERD_WINDOW_S,
    INVALID_KINDS,
    MCP_TOOLS,
    REFRESH_EXPIRY,
    REFRESH_HERD,
    REGISTER,
    invalid_name,
)
from harness.load.probes import PROVIDER_DEFAULTS, GraceEvidence, RaceEvidence
from harness.load.stats import Histogram, Tally
from harness.results import Level, Result, Severity, Verdict

COST_SLACK_MS: Final = 2.0  # rejecting may cost this much more than serving (timer noise)
COST_FACTOR: Final = 1.25
FLOOD_FACTOR: Final = 3.0  # valid users' p95 under the flood: at most this times the baseline
FLOOD_SLACK_MS: Final = 10.0
MIN_SAMPLES: Final = 10
MIN_SECONDS: Final = 2
MAX_EVIDENCE: Final = 8
SATURATED_PER_CORE: Final = 2.0  # load average per core beyond which latencies mislead
REGISTRATIONS_TO_JUDGE: Final = 21  # one more than the TypeScript SDK's 20 an hour


@dataclass(frozen=True, slots=True, kw_only=True)
class HostLoad:
    """The load machine when the run ended (os.getloadavg, os.cpu_count)."""

    load1: float
    cores: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Invariant:
    id: str
    title: str
    level: Level
    severity: Severity
    refs: tuple[str, ...]

    def result(
        self, verdict: Verdict, message: str, evidence: tuple[dict[str, object], ...] = ()
    ) -> Result:
        return Result(
            check=self.id,
            title=self.title,
            level=self.level,
            severity=self.severity,
            verdict=verdict,
            message=message,
            spec_refs=self.refs,
            evidence=evidence,
        )


RACE = Invariant(
    id="load.refresh-race",
    title="Concurrent refreshes of one refresh token hand out at most one live token family",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=("OAuth 2.1 §4.3.1", "RFC 9700 §4.14.2", "security-checks rt.race"),
)
GRACE = Invariant(
    id="load.refresh-grace",
    title="A rotated-out refresh token is refused once its reuse window has passed",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=("OAuth 2.1 §4.3.1", "RFC 9700 §4.14.2", "security-checks rt.reuse-detection"),
)
HERD = Invariant(
    id="load.expiry-herd",
    title="Users whose tokens expire together all refresh and keep working",
    level=Level.MUST,
    severity=Severity.MEDIUM,
    refs=("OAuth 2.1 §4.3", "RFC 6749 §5.2"),
)
NO_INVALID = Invariant(
    id="load.no-invalid-accepted",
    title="No invalid token is ever served under load",
    level=Level.MUST,
    severity=Severity.CRITICAL,
    refs=("OAuth 2.1 §5.2", "RFC 6750 §3.1", "MCP 2025-11-25 Authorization §Token Handling"),
)
NO_5XX = Invariant(
    id="load.no-5xx",
    title="No request under load gets a 5xx",
    level=Level.MUST,
    severity=Severity.MEDIUM,
    refs=("RFC 6750 §3.1", "OAuth 2.1 §3.2.4"),
)
COST = Invariant(
    id="load.rejection-cost",
    title="Rejecting an invalid token costs no more than serving a valid call (p50)",
    level=Level.SHOULD,
    severity=Severity.MEDIUM,
    refs=("RFC 8725 §3.1", "RFC 9700 §4.7"),
)
ISOLATION = Invariant(
    id="load.flood-isolation",
    title=f"Valid users' p95 under an invalid-token flood stays within {FLOOD_FACTOR:g}x the "
    "baseline",
    level=Level.SHOULD,
    severity=Severity.MEDIUM,
    refs=("RFC 9700 §4.7", "MCP 2025-11-25 Security Best Practices"),
)
REGISTRATION = Invariant(
    id="load.registration-limited",
    title="Dynamic client registration is rate limited",
    level=Level.SHOULD,
    severity=Severity.LOW,
    refs=("RFC 7591 §5", "MCP 2025-11-25 Security Best Practices §Confused Deputy"),
)
ALL: Final = (RACE, GRACE, HERD, NO_INVALID, NO_5XX, COST, ISOLATION, REGISTRATION)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:g} ms"


def _samples(tally: Tally, kind: str) -> tuple[dict[str, object], ...]:
    return tuple(tally.samples.get(kind, ()))


# --- refresh probes ----------------------------------------------------------------------


def judge_race(evidence: RaceEvidence, grace: GraceEvidence | None) -> Result:
    won, refused = evidence.count("won"), evidence.count("invalid_grant")
    limited, other = evidence.count("rate_limited"), evidence.count("other")
    exchanges = tuple(a.exchange.to_json() for a in evidence.answers) + tuple(
        e.to_json() for e in evidence.checks
    )
    tallied = (
        f"{evidence.size} concurrent refreshes of one refresh token: {won} won, "
        f"{refused} invalid_grant, {limited} rate limited, {other} other"
    )
    if won == 0:
        if limited and not other:
            return RACE.result(Verdict.SKIP, tallied + ": rate limited (429)", exchanges)
        return RACE.result(Verdict.ERROR, tallied + ": none succeeded", exchanges)
    if not evidence.rotated:
        return RACE.result(
            Verdict.SKIP,
            tallied + "; the server does not rotate refresh tokens for this client, so there "
            "is no rotation to race (refresh.rotation judges that)",
            exchanges,
        )
    if won == 1:
        after = (
            "the winner's new access token still works"
            if evidence.live_families
            else "the losers' replays revoked the family, the winner's new tokens too "
            "(RFC 9700 §4.14.2): clients must serialise their refreshes or be logged out"
        )
        return RACE.result(Verdict.PASS, f"{tallied}; {after}", exchanges)
    if grace is not None and grace.immediate_accepted:
        return RACE.result(
            Verdict.PASS,
            f"{tallied}: {won - 1} siblings inside the server's reuse window "
            "(load.refresh-grace measures it)",
            exchanges,
        )
    if evidence.families < 2:
        return RACE.result(
            Verdict.PASS,
            f"{tallied}; every winner got the same rotated-in refresh token (one family)",
            exchanges,
        )
    return RACE.result(
        Verdict.FAIL,
        f"{tallied}: {evidence.families} token families from one refresh token "
        f"({evidence.live_families} still live after the race), although a sequential replay "
        "is refused: a check-then-act race in rotation",
        exchanges,
    )


def judge_grace(evidence: GraceEvidence, run_s: float) -> Result:
    if not evidence.rotates:
        return GRACE.result(
            Verdict.SKIP,
            "the server does not rotate refresh tokens for this client: no rotated-out token "
            "to replay",
        )
    replays = evidence.replays
    accepted = [r for r in replays if r.accepted]
    refused = [r for r in replays if not r.accepted]
    probes = ", ".join(
        f"{r.offset_s:g} s {'accepted' if r.accepted else 'refused'}" for r in replays
    )
    evidence_json = tuple(e.to_json() for r in replays for e in r.exchanges)
    late = [r for r in accepted if r.offset_s > evidence.allowed_s]
    if late:
        return GRACE.result(
            Verdict.FAIL,
            f"a rotated-out refresh token was accepted {late[0].offset_s:g} s after rotation, "
            f"beyond the allowed {evidence.allowed_s:g} s (--refresh-grace-max): reuse is not "
            f"detected ({probes}; documented defaults: {PROVIDER_DEFAULTS})",
            evidence_json,
        )
    if not accepted:
        kept = refused[0].family_kept
        family = "" if kept is None else "; the family was revoked" if not kept else "; family kept"
        return GRACE.result(
            Verdict.PASS,
            f"no reuse window: a rotated-out refresh token is refused at once ({probes}{family}; "
            f"documented defaults: {PROVIDER_DEFAULTS})",
            evidence_json,
        )
    if not refused:
        return GRACE.result(
            Verdict.SKIP,
            f"a rotated-out refresh token was still accepted at the last replay ({probes}); the "
            f"run ({run_s:g} s) ended before the allowed window ({evidence.allowed_s:g} s) "
            "passed: lengthen --duration",
            evidence_json,
        )
    low = max(r.offset_s for r in accepted)
    high = min(r.offset_s for r in refused if r.offset_s > low)
    return GRACE.result(
        Verdict.PASS,
        f"reuse window between {low:g} s and {high:g} s ({probes}); documented defaults: "
        f"{PROVIDER_DEFAULTS}",
        evidence_json,
    )


def probe_error(invariant: Invariant, exc: Exception) -> Result:
    """A probe that could not run: skip when the capability is absent, else error with the
    exchanges that show why (a TargetError's)."""
    verdict = Verdict.SKIP if isinstance(exc, NotApplicable) else Verdict.ERROR
    exchanges = exc.exchanges if isinstance(exc, TargetError) else ()
    return invariant.result(
        verdict, str(exc) or type(exc).__name__, tuple(e.to_json() for e in exchanges)
    )


# --- the locust tally ----------------------------------------------------------------------


def judge_herd(tally: Tally, herd_at_s: float | None) -> Result:
    names = (REFRESH_HERD, REFRESH_EXPIRY)
    counters = [tally.endpoints[n] for n in names if n in tally.endpoints]
    refreshes = sum(c.count for c in counters)
    if herd_at_s is None or not refreshes:
        return HERD.result(
            Verdict.SKIP, "no valid user refreshed together with others (no herd in this run)"
        )
    latency = Histogram()
    for c in counters:
        latency.merge(c.latency.counts)
    failed = sum(c.failures for c in counters)
    limited = sum(c.rate_limited for c in counters)
    faults = sum(c.transport for c in counters)
    lost = tally.outcomes.get("herd_logged_out", 0) + tally.outcomes.get("expiry_logged_out", 0)
    during = tally.phases.get(f"herd|{MCP_TOOLS}")
    calls_failed = during.failures if during else 0
    faults_during = during.transport if during else 0
    message = (
        f"{refreshes} refreshes in the storm at {herd_at_s:g} s: p95 "
        f"{_ms(latency.percentile(0.95))}, {failed} failed, {limited} rate limited (429, "
        f"retried after Retry-After), {lost} users logged out, {calls_failed} failed MCP calls "
        "during the storm"
    )
    if faults or faults_during:
        message += (
            f"; {faults} refreshes and {faults_during} MCP calls got no answer (transport "
            "faults on the load machine, not counted as the server's failures)"
        )
    if faults * 2 >= refreshes:  # most refreshes never reached the server: nothing to judge
        herd = {REFRESH_HERD, REFRESH_EXPIRY, MCP_TOOLS}
        shown = tuple(e for e in _samples(tally, "transport_error") if e.get("name") in herd)
        return HERD.result(
            Verdict.ERROR,
            message + ": too few refreshes got an answer to judge the herd",
            shown[:MAX_EVIDENCE],
        )
    kinds = (f"failed:{REFRESH_HERD}", f"failed:{REFRESH_EXPIRY}", f"failed:{MCP_TOOLS}")
    evidence = tuple(e for kind in kinds for e in _samples(tally, kind))[:MAX_EVIDENCE]
    if failed or lost or calls_failed:
        return HERD.result(Verdict.FAIL, message, evidence)
    return HERD.result(Verdict.PASS, message)


def judge_no_invalid(tally: Tally) -> Result:
    exercised = {
        kind: tally.endpoints[invalid_name(kind)].count
        for kind in INVALID_KINDS
        if invalid_name(kind) in tally.endpoints
    }
    if not exercised:
        return NO_INVALID.result(Verdict.SKIP, "no invalid-token traffic ran (see --mix invalid=)")
    sent = ", ".join(f"{kind} {n}" for kind, n in exercised.items())
    missing = [k for k in INVALID_KINDS if k not in exercised]
    note = f" (not exercised: {', '.join(missing)})" if missing else ""
    accepted = tally.outcomes.get("invalid_accepted", 0)
    if accepted:
        return NO_INVALID.result(
            Verdict.FAIL,
            f"{accepted} requests with an invalid token were served (sent: {sent}){note}",
            _samples(tally, "invalid_accepted"),
        )
    return NO_INVALID.result(Verdict.PASS, f"every invalid token was refused (sent: {sent}){note}")


def judge_no_5xx(tally: Tally, run: dict[str, object] | None = None) -> Result:
    """`run`: what shows why a run sent nothing (the locust processes' exit codes and their
    redacted stderr tail)."""
    total = tally.requests
    if not total:
        found = run or {}
        tail = str(found.get("stderr_tail", ""))[-600:]
        why: dict[
            str, object
        ] = {  # shaped like an exchange, so every rendering shows it as one line
            "request": {"method": "RUN", "url": "locust"},
            "error": f"exit codes {found.get('exit_codes')}: {tail}",
            "locust": found,
            "outcomes": dict(tally.outcomes),
        }
        return NO_5XX.result(Verdict.ERROR, "the load run sent no request", (why,))
    errors = tally.outcomes.get("server_error", 0)
    transport = tally.outcomes.get("transport_error", 0)
    faults = f"; {transport} transport faults (not a 5xx)" if transport else ""
    if not errors and transport * 2 >= total:
        return NO_5XX.result(
            Verdict.ERROR,
            f"{transport} of {total} requests got no answer (transport faults on the load "
            "machine): too few answers to judge",
            _samples(tally, "transport_error"),
        )
    if errors:
        return NO_5XX.result(
            Verdict.FAIL,
            f"{errors} of {total} requests got a 5xx{faults}",
            _samples(tally, "server_error"),
        )
    return NO_5XX.result(Verdict.PASS, f"none of {total} requests got a 5xx{faults}")


def saturated(host: HostLoad) -> str | None:
    """Why latency comparisons would measure this machine rather than the target, if so."""
    if host.load1 > SATURATED_PER_CORE * host.cores:
        return (
            f"the load machine was saturated (load average {host.load1:.1f} on {host.cores} "
            "cores): latencies measure the machine, not the target; rerun on a quieter one"
        )
    return None


def judge_cost(tally: Tally, plan: Plan, host: HostLoad) -> Result:
    """Each invalid class's p50 against the valid calls' p50 in the same flood seconds (a
    class that starts late, like `expired`, meets the same machine load as its comparison)."""
    busy = saturated(host)
    if busy:
        return COST.result(Verdict.SKIP, busy)
    seconds = _flood_seconds(plan)
    judged, slower = [], []
    for kind in INVALID_KINDS:
        name = invalid_name(kind)
        ran = [s for s in seconds if f"{s}|{name}" in tally.per_second]
        rejected, valid = tally.merged(name, ran), tally.merged(MCP_TOOLS, ran)
        if rejected.total < MIN_SAMPLES or valid.total < MIN_SAMPLES:
            continue
        p50, base = rejected.percentile(0.5) or 0.0, valid.percentile(0.5) or 0.0
        limit = max(base * COST_FACTOR, base + COST_SLACK_MS)
        judged.append(f"{kind} {_ms(p50)} (valid {_ms(base)})")
        if p50 > limit:
            slower.append(kind)
    if not judged:
        return COST.result(
            Verdict.SKIP,
            f"fewer than {MIN_SAMPLES} invalid-token and valid calls a class in the same seconds",
        )
    message = "p50 in the same seconds, rejected vs served: " + ", ".join(judged)
    if slower:
        return COST.result(
            Verdict.WARN,
            f"rejecting {', '.join(slower)} tokens costs more than serving a valid call: "
            + message,
        )
    return COST.result(Verdict.PASS, message)


def judge_isolation(tally: Tally, plan: Plan, host: HostLoad) -> Result:
    """Median over whole seconds of the valid calls' p95, alone and under the flood (the
    seconds of spawning, of the herd and right after a phase change left out): a busy second
    elsewhere on the machine moves one second, not the verdict."""
    busy = saturated(host)
    if busy:
        return ISOLATION.result(Verdict.SKIP, busy)
    baseline = tally.second_percentiles(MCP_TOOLS, _baseline_seconds(plan), 0.95)
    flood = tally.second_percentiles(MCP_TOOLS, _flood_seconds(plan), 0.95)
    flooded = any(f"flood|{invalid_name(k)}" in tally.phases for k in INVALID_KINDS)
    if len(baseline) < MIN_SECONDS or len(flood) < MIN_SECONDS or not flooded:
        return ISOLATION.result(
            Verdict.SKIP,
            f"needs {MIN_SECONDS} busy seconds of valid calls alone and under an invalid-token "
            f"flood (had {len(baseline)} and {len(flood)}; flood: {'yes' if flooded else 'no'})",
        )
    before, during = statistics.median(baseline), statistics.median(flood)
    limit = max(before * FLOOD_FACTOR, before + FLOOD_SLACK_MS)
    message = (
        f"valid p95 {_ms(before)} alone, {_ms(during)} under the flood (median over "
        f"{len(baseline)} and {len(flood)} seconds; limit {_ms(limit)})"
    )
    if during > limit:
        return ISOLATION.result(Verdict.WARN, "invalid tokens slow valid users down: " + message)
    return ISOLATION.result(Verdict.PASS, message)


def _baseline_seconds(plan: Plan) -> range:
    return range(0, math.floor(plan.baseline_s))


def _flood_seconds(plan: Plan) -> list[int]:
    """Whole seconds of the flood, without the one it starts in and the herd's."""
    herd = plan.herd_at_s
    storm = range(0) if herd is None else range(math.floor(herd), math.ceil(herd + HERD_WINDOW_S))
    start = math.ceil(plan.baseline_s) + 1
    return [s for s in range(start, math.floor(plan.duration_s)) if s not in storm]


def judge_registration(tally: Tally, offered: bool) -> Result:
    if not offered:
        return REGISTRATION.result(Verdict.SKIP, "the target offers no dynamic registration")
    counter = tally.endpoints.get(REGISTER)
    if counter is None or not counter.count:
        return REGISTRATION.result(Verdict.SKIP, "no registration ran (see --mix register=)")
    created = tally.outcomes.get("registered", 0)
    if counter.rate_limited:
        return REGISTRATION.result(
            Verdict.PASS,
            f"registration was rate limited: {counter.rate_limited} of {counter.count} got 429 "
            f"after {created} were created (Retry-After honoured)",
        )
    if counter.count < REGISTRATIONS_TO_JUDGE:
        return REGISTRATION.result(
            Verdict.SKIP,
            f"only {counter.count} registrations were sent; {REGISTRATIONS_TO_JUDGE} tell "
            "(--max-registrations)",
        )
    return REGISTRATION.result(
        Verdict.WARN,
        f"{created} of {counter.count} registrations from one address were accepted and none "
        "was refused: registration has no rate limit",
    )
