"""One load run: logins and material, locust in subprocesses with the refresh probes running
beside it, then the invariants, the gates, report.json and the exit code."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import math
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from harness import __version__, baseline
from harness.config import load_config
from harness.errors import ConfigError, HarnessError, NotApplicable
from harness.load import invariants as inv
from harness.load.driver import LOCUSTFILE, LocustRun, LocustSettings, run_locust
from harness.load.material import Plan
from harness.load.mix import parse_mix
from harness.load.prepare import LoadContext, open_load
from harness.load.probes import GraceEvidence, RaceEvidence, grace_offsets, refresh_grace
from harness.load.probes import refresh_race as race_probe
from harness.load.stats import Histogram, Tally
from harness.report import render_all
from harness.results import Report, Result, Verdict

CHAIN_KINDS = ("mcp", "refresh")
BASELINE_SHARE = 0.3  # of the duration: valid users alone
HERD_SHARE = 0.6  # the herd instant, inside the flood


@dataclass(frozen=True, slots=True, kw_only=True)
class Probes:
    race: RaceEvidence | Exception
    grace: GraceEvidence | Exception


def run_load(
    url: str, args: argparse.Namespace, out: Path, *, other_resource: str | None = None
) -> int:
    """Run the load against `url`; `other_resource` (the embedded reference's second MCP
    resource) yields wrong-audience tokens unless the config names one."""
    console = Console(stderr=True)
    started_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    started = time.monotonic()
    try:
        locust, probes, ctx_offers_dcr = asyncio.run(_run(url, args, console, other_resource))
    except ConfigError:
        raise  # exit 2, said by the CLI
    except (NotApplicable, HarnessError) as exc:  # no OAuth flow there, unreachable, locust died
        console.print(f"load: cannot run against {url}: {exc}", markup=False)
        return 3
    elapsed = time.monotonic() - started
    host = inv.HostLoad(load1=os.getloadavg()[0], cores=os.cpu_count() or 1)
    run: dict[str, object] = {
        "exit_codes": list(locust.exit_codes),
        "stderr_tail": locust.stderr_tail,
    }
    results = _results(locust.tally, probes, args, ctx_offers_dcr, host, run)
    gates = _gates(locust.tally, args)
    report = Report(
        tool_version=__version__,
        target_url=url,
        spec_revision=None,
        started_at=started_at,
        duration_s=elapsed,
        seed=0,
        results=results,
        extra={"load": {**_section(locust, probes, gates, args), "host": dataclasses.asdict(host)}},
    )
    # --fail-on's findings, less those --baseline accepts (none when --write-baseline wrote it)
    report, counted = baseline.gate(
        report, baseline=args.baseline, write=args.write_baseline, fail_on=args.fail_on
    )
    render_all(report, out)
    for r in results:
        console.print(f"{r.verdict.value:>5}  {r.check}: {r.message}", markup=False)
    for gate in gates:
        state = "ok" if gate["passed"] else "FAILED"
        console.print(f"gate {gate['gate']}: {gate['actual']} (limit {gate['limit']}) {state}")
    console.print(f"report: {out}/report.json")
    if counted or not all(g["passed"] for g in gates):
        return 1
    return 3 if any(r.verdict is Verdict.ERROR for r in results) else 0


async def _run(
    url: str, args: argparse.Namespace, console: Console, other_resource: str | None
) -> tuple[LocustRun, Probes, bool]:
    config = load_config(args.config)
    if other_resource and not config.other_resource:
        config = dataclasses.replace(config, other_resource=other_resource)
    mix = parse_mix(args.mix)
    processes = max(1, args.workers + args.remote_workers)
    settings = LocustSettings(
        users=args.users,
        spawn_rate=args.spawn_rate,
        duration_s=args.duration,
        workers=args.workers,
        mix=",".join(f"{k}={w}" for k, w in mix.items()),
        remote_workers=args.remote_workers,
        master_host=args.master_bind_host,
        master_port=args.master_port,
        remote_plan=json.dumps(dataclasses.asdict(_plan(args, processes))),
        remote_token_sets=_chains_per_process(args, mix),
    )
    async with open_load(url, config=config, deadline_s=args.duration + 300) as ctx:
        with tempfile.TemporaryDirectory(prefix="mcp-load-") as folder:
            materials = await _materials(ctx, args, mix, Path(folder))
            plan = _plan(args, 1)
            last: dict[str, object] = {}

            def progress(line: dict[str, object]) -> None:
                if "master_port" in line:
                    console.print(
                        f"waiting for {line['remote_workers']} remote workers: on each run "
                        f"`locust -f {LOCUSTFILE} --worker --master-host <this host> "
                        f"--master-port {line['master_port']}`",
                        markup=False,
                        highlight=False,
                    )
                    return
                last.update(line)
                console.print(
                    f"load t={line.get('t')}s users={line.get('users')} "
                    f"rps={line.get('rps')} requests={line.get('requests')} "
                    f"failures={line.get('failures')} p95={line.get('p95_ms')} ms",
                    markup=False,
                    highlight=False,
                )

            locust_task = asyncio.create_task(
                run_locust(
                    settings,
                    url,
                    materials,
                    Path(folder) / "results.json",
                    ctx.run.http.vault,
                    progress,
                )
            )
            probes = await _probes(ctx, args, plan)
            locust = await locust_task
    return locust, probes, ctx.setup.registration_endpoint is not None


def _plan(args: argparse.Namespace, processes: int) -> Plan:
    return Plan(
        duration_s=args.duration,
        baseline_s=round(args.duration * BASELINE_SHARE, 3),
        herd_at_s=round(args.duration * HERD_SHARE, 3),
        think_s=args.think_ms / 1000,
        max_requests=math.ceil(args.max_requests / processes),
        max_registrations=math.ceil(args.max_registrations / processes),
    )


def _chains_per_process(args: argparse.Namespace, mix: dict[str, int]) -> int:
    """Refresh-token chains each locust process needs: one per valid user, two spare."""
    share = sum(mix.get(k, 0) for k in CHAIN_KINDS) / sum(mix.values())
    processes = max(1, args.workers + args.remote_workers)
    return math.ceil(args.users * share / processes) + 2 if share else 0


async def _materials(
    ctx: LoadContext, args: argparse.Namespace, mix: dict[str, int], folder: Path
) -> list[Path]:
    """The master's (or single process's) file first, then one per worker: disjoint chains."""
    local = args.workers if args.workers or args.remote_workers else 1
    per_process = _chains_per_process(args, mix)
    tokens = await ctx.logins(per_process * local)
    first_ttl = tokens[0].expires_in if tokens else None
    expiring = await ctx.logins(2) if first_ttl is not None and first_ttl < args.duration else []
    wrong = await ctx.wrong_audience()
    plan = _plan(args, max(1, args.workers + args.remote_workers))
    files: list[Path] = []
    if args.workers or args.remote_workers:
        files.append(folder / "master.json")
        ctx.material(plan, (), expiring, wrong).write(files[-1])
    for index in range(local):
        files.append(folder / f"process-{index}.json")
        chains = tokens[index * per_process : (index + 1) * per_process]
        ctx.material(plan, chains, expiring, wrong).write(files[-1])
    return files


async def _probes(ctx: LoadContext, args: argparse.Namespace, plan: Plan) -> Probes:
    offsets = grace_offsets(max(0.0, args.duration - 1.5), args.refresh_grace_max)

    async def race() -> RaceEvidence:
        await asyncio.sleep(plan.baseline_s)  # race under the flood, not before it
        return await race_probe(ctx, args.race_size)

    found = await asyncio.gather(
        race(), refresh_grace(ctx, offsets, args.refresh_grace_max), return_exceptions=True
    )
    return Probes(race=_settled(found[0]), grace=_settled(found[1]))


def _settled[T](value: T | BaseException) -> T | Exception:
    """A probe's evidence or its exception; a cancellation or exit goes on up."""
    if isinstance(value, BaseException) and not isinstance(value, Exception):
        raise value
    return value


def _results(
    tally: Tally,
    probes: Probes,
    args: argparse.Namespace,
    offers_dcr: bool,
    host: inv.HostLoad,
    run: dict[str, object],
) -> tuple[Result, ...]:
    grace = probes.grace if isinstance(probes.grace, GraceEvidence) else None
    grace_error = probes.grace if isinstance(probes.grace, Exception) else None
    race = (
        inv.judge_race(probes.race, grace)
        if isinstance(probes.race, RaceEvidence)
        else inv.probe_error(inv.RACE, probes.race)
    )
    grace_result = (
        inv.judge_grace(grace, args.duration)
        if grace_error is None and grace is not None
        else inv.probe_error(inv.GRACE, grace_error or RuntimeError("no evidence"))
    )
    return (
        race,
        grace_result,
        inv.judge_herd(tally, round(args.duration * HERD_SHARE, 3)),
        inv.judge_no_invalid(tally),
        inv.judge_no_5xx(tally, run),
        inv.judge_cost(tally, _plan(args, 1), host),
        inv.judge_isolation(tally, _plan(args, 1), host),
        inv.judge_registration(tally, offers_dcr),
    )


def _totals(tally: Tally, duration_s: float) -> dict[str, object]:
    latency = Histogram()
    for counter in tally.endpoints.values():
        latency.merge(counter.latency.counts)
    requests = tally.requests
    failures = sum(c.failures for c in tally.endpoints.values())
    transport = sum(c.transport for c in tally.endpoints.values())
    return {
        "requests": requests,
        "rps": round(requests / max(duration_s, 1e-9), 1),
        "failures": failures,
        "transport_errors": transport,  # no answer: the load machine's, apart from failures
        # the gate's ratio: a run whose requests got no answer does not pass it either
        "fail_ratio": round((failures + transport) / requests, 5) if requests else 0.0,
        "rate_limited": sum(c.rate_limited for c in tally.endpoints.values()),
        **latency.summary(),
    }


def _gates(tally: Tally, args: argparse.Namespace) -> list[dict[str, object]]:
    gates: list[dict[str, object]] = []
    if args.max_p95_ms is not None:
        worst = max(
            ((c.latency.percentile(0.95) or 0.0, name) for name, c in tally.endpoints.items()),
            default=(0.0, "-"),
        )
        gates.append(
            {
                "gate": "max-p95-ms",
                "limit": args.max_p95_ms,
                "actual": worst[0],
                "endpoint": worst[1],
                "passed": worst[0] <= args.max_p95_ms,
            }
        )
    if args.max_fail_ratio is not None:
        ratio = _totals(tally, args.duration)["fail_ratio"]
        assert isinstance(ratio, float)
        gates.append(
            {
                "gate": "max-fail-ratio",
                "limit": args.max_fail_ratio,
                "actual": ratio,
                "passed": ratio <= args.max_fail_ratio,
            }
        )
    return gates


def _section(
    locust: LocustRun, probes: Probes, gates: list[dict[str, object]], args: argparse.Namespace
) -> dict[str, object]:
    tally = locust.tally
    seconds = max(1, len(tally.series))
    return {
        "settings": {
            "users": args.users,
            "spawn_rate": args.spawn_rate,
            "duration_s": args.duration,
            "workers": args.workers,
            "remote_workers": args.remote_workers,
            "mix": parse_mix(args.mix),
            "think_ms": args.think_ms,
            "max_requests": args.max_requests,
            "max_registrations": args.max_registrations,
            "race_size": args.race_size,
            "refresh_grace_max_s": args.refresh_grace_max,
        },
        "plan": {
            "baseline_s": round(args.duration * BASELINE_SHARE, 3),
            "herd_at_s": round(args.duration * HERD_SHARE, 3),
        },
        "totals": _totals(tally, seconds),
        "endpoints": tally.endpoints_json(seconds),
        "series": tally.series_json(),
        "outcomes": dict(sorted(tally.outcomes.items())),
        "samples": {kind: found for kind, found in sorted(tally.samples.items())},
        "gates": gates,
        "refresh_grace": _grace_json(probes.grace),
        "locust": {"exit_codes": list(locust.exit_codes)},
    }


def _grace_json(grace: GraceEvidence | Exception) -> object:
    if not isinstance(grace, GraceEvidence):
        return {"error": str(grace)}
    return {
        "allowed_s": grace.allowed_s,
        "replays": [
            {"offset_s": r.offset_s, "accepted": r.accepted, "status": r.status}
            for r in grace.replays
        ],
    }
