"""The load generator next to wrk and a plain one-process locust FastHttpUser, in one run,
against the embedded reference (its own process; on 2 cores the server is the bottleneck on
the MCP endpoint):

- trivial: GET the protected resource metadata (no auth work); the generator with --workers 2
- mcp-valid: POST tools/list on the MCP endpoint with a valid token and session
- mcp-invalid: POST initialize with invalid tokens (garbage and random-kid JWTs, alternating)

Usage: python bench/load_vs_wrk.py [SECONDS] [CONNECTIONS]   (default 6 s, 32)
Targets (issue 11): generator >= 90 % of wrk on the MCP endpoint, >= 35 % on the trivial one.
Secrets reach wrk and locust through environment variables only.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from harness.load.driver import LocustSettings, run_locust
from harness.load.forge import GARBAGE, random_kid
from harness.load.material import Plan
from harness.load.names import MCP_TOOLS, initialize_request, invalid_name
from harness.load.prepare import PROTOCOL_VERSION, LoadContext, open_load
from harness.load.probes import mcp_initialize

PLAIN_LOCUSTFILE = """
import itertools, json, os
from locust import task
from locust.contrib.fasthttp import FastHttpUser

TOKENS = json.loads(os.environ["BENCH_TOKENS"])
HEADERS = json.loads(os.environ["BENCH_HEADERS"])

class Plain(FastHttpUser):
    host = os.environ["BENCH_URL"]

    def on_start(self):
        self.tokens = itertools.cycle(TOKENS or [None])

    @task
    def hit(self):
        headers = dict(HEADERS)
        token = next(self.tokens)
        if token:
            headers["Authorization"] = "Bearer " + token
        self.client.request(os.environ["BENCH_METHOD"], os.environ["BENCH_URL"], name="bench",
                            headers=headers, data=os.environ.get("BENCH_BODY") or None)
"""

WRK_SCRIPT = """
local tokens = {}
for t in string.gmatch(os.getenv("BENCH_TOKENS_LINES") or "", "[^\\n]+") do
  table.insert(tokens, t)
end
local base = {}
for k, v in string.gmatch(os.getenv("BENCH_HEADER_LINES") or "", "([^:\\n]+): ([^\\n]*)") do
  base[k] = v
end
local i = 0
request = function()
  local headers = {}
  for k, v in pairs(base) do headers[k] = v end
  if #tokens > 0 then
    i = i + 1
    headers["Authorization"] = "Bearer " .. tokens[(i % #tokens) + 1]
  end
  return wrk.format(os.getenv("BENCH_METHOD"), nil, headers, os.getenv("BENCH_BODY"))
end
"""


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    url: str
    method: str
    headers: dict[str, str]
    body: str
    tokens: list[str]
    mix: str
    workers: int
    names: tuple[str, ...]


def _env(case: Case) -> dict[str, str]:
    host = urlsplit(case.url).netloc
    headers = {"Host": host, **case.headers}
    return {
        **os.environ,
        "BENCH_URL": case.url,
        "BENCH_METHOD": case.method,
        "BENCH_BODY": case.body,
        "BENCH_TOKENS": json.dumps(case.tokens),
        "BENCH_TOKENS_LINES": "\n".join(case.tokens),
        "BENCH_HEADERS": json.dumps(case.headers),
        "BENCH_HEADER_LINES": "\n".join(f"{k}: {v}" for k, v in headers.items()),
    }


@dataclass(frozen=True, slots=True)
class Measured:
    rate: float  # requests a second (steady state)
    cpu_ms: float  # CPU the generator's processes spent per request (machine-load independent)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _per_request(cpu_before: float, requests: int) -> float:
    return (_children_cpu() - cpu_before) * 1000 / max(requests, 1)


def wrk_rate(case: Case, seconds: float, connections: int, folder: Path) -> Measured:
    script = folder / "bench.lua"
    script.write_text(WRK_SCRIPT)
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "-s", str(script), case.url]
    cpu = _children_cpu()
    done = subprocess.run(  # noqa: S603
        command, env=_env(case), capture_output=True, text=True, timeout=seconds + 30, check=True
    )
    found = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    if found is None or ("Non-2xx" in done.stdout and case.name == "mcp-valid"):
        raise RuntimeError(f"wrk: {done.stdout}")
    sent = re.search(r"(\d+) requests in", done.stdout)
    return Measured(float(found.group(1)), _per_request(cpu, int(sent.group(1)) if sent else 0))


def plain_rate(case: Case, seconds: float, users: int, folder: Path) -> Measured:
    locustfile = folder / "plain_locustfile.py"
    locustfile.write_text(PLAIN_LOCUSTFILE)
    prefix = folder / f"plain-{case.name}"
    command = [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless"]
    command += ["-u", str(users), "-r", str(users), "-t", f"{seconds:g}s", "--only-summary"]
    command += ["--csv", str(prefix), "--csv-full-history", "--loglevel", "WARNING"]
    # exit 1 just means some requests "failed" (the 401s of the invalid-token case)
    cpu = _children_cpu()
    subprocess.run(  # noqa: S603
        command, env=_env(case), capture_output=True, timeout=seconds + 60, check=False
    )
    with open(f"{prefix}_stats_history.csv", newline="") as rows:
        rates = [
            float(row["Requests/s"])
            for row in csv.DictReader(rows)
            if row["Name"] == "Aggregated" and float(row["Requests/s"]) > 0
        ]
    with open(f"{prefix}_stats.csv", newline="") as rows:
        sent = sum(
            int(row["Request Count"]) for row in csv.DictReader(rows) if row["Name"] == "Aggregated"
        )
    return Measured(statistics.median(rates[2:-1] or rates), _per_request(cpu, sent))


async def generator_rate(
    ctx: LoadContext, case: Case, seconds: float, users: int, folder: Path
) -> Measured:
    """The harness's users and driver (classification, tally, worker reports) on `case`."""
    processes = max(1, case.workers)
    plan = Plan(
        duration_s=seconds,
        baseline_s=0.0,
        herd_at_s=None,
        think_s=0.0,
        max_requests=10**8,
        max_registrations=0,
    )
    chains = users // processes + 2 if "mcp" in case.mix else 0
    tokens = await ctx.logins(chains * processes)
    files = []
    if case.workers:
        files.append(folder / "master.json")
        ctx.material(plan, (), (), None).write(files[-1])
    for index in range(processes):
        files.append(folder / f"gen-{index}.json")
        ctx.material(plan, tokens[index * chains : (index + 1) * chains], (), None).write(files[-1])
    settings = LocustSettings(
        users=users, spawn_rate=users, duration_s=seconds, workers=case.workers, mix=case.mix
    )
    cpu = _children_cpu()
    run = await run_locust(
        settings,
        ctx.run.target.mcp_url,
        files,
        folder / f"gen-{case.name}.json",
        ctx.run.http.vault,
        lambda _line: None,
    )
    per_second = sorted(run.tally.series.items())
    wanted = set(case.names)
    rates = [float(counter.count) for _, counter in per_second]
    if not any(name in run.tally.endpoints for name in wanted):
        raise RuntimeError(f"the generator sent none of {wanted}")
    return Measured(statistics.median(rates[1:-1] or rates), _per_request(cpu, run.tally.requests))


async def _session(ctx: LoadContext, token: str) -> str:
    response = await mcp_initialize(ctx, token)
    session = response.header("mcp-session-id")
    if response.status != 200 or session is None:
        raise RuntimeError(f"initialize failed: {response.status}")
    return session


async def _bench(
    url: str, seconds: float, users: int
) -> list[tuple[str, Measured, Measured, Measured]]:
    rows = []
    async with open_load(url) as ctx:
        token = (await ctx.login()).access_token
        session = await _session(ctx, token)
        forged = random_kid(token) or "x"
        mcp_headers = {
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": PROTOCOL_VERSION,
        }
        tools = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        init = json.dumps(initialize_request(PROTOCOL_VERSION))
        prm = ctx.setup.discovery.prm_url or url
        cases = [
            Case(
                "trivial",
                prm,
                "GET",
                {"Accept": "application/json"},
                "",
                [],
                "discovery=1",
                2,
                ("discovery: prm", "discovery: as-metadata"),
            ),
            Case(
                "mcp-valid",
                url,
                "POST",
                {**mcp_headers, "Mcp-Session-Id": session},
                tools,
                [token],
                "mcp=1",
                0,
                (MCP_TOOLS,),
            ),
            Case(
                "mcp-invalid",
                url,
                "POST",
                mcp_headers,
                init,
                [g for pair in zip(GARBAGE, [forged] * len(GARBAGE), strict=True) for g in pair],
                "invalid=1",
                0,
                (invalid_name("garbage"), invalid_name("random-kid")),
            ),
        ]
        with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
            for case in cases:
                base = Path(folder)
                wrk = wrk_rate(case, seconds, users, base)
                plain = plain_rate(case, seconds, users, base)
                generator = await generator_rate(ctx, case, seconds, users, base)
                rows.append((case.name, wrk, plain, generator))
    return rows


def main() -> int:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 6.0
    users = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    if shutil.which("wrk") is None:
        sys.stderr.write("wrk is not installed (Debian: apt-get install wrk)\n")
        return 2
    server = subprocess.Popen(
        [sys.executable, "-m", "simulators.reference"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().split(":", 1)[1].strip()
        rows = asyncio.run(_bench(url, seconds, users))
    finally:
        server.terminate()
        server.wait(timeout=15)
    load = os.getloadavg()[0]
    sys.stdout.write(f"{seconds:g} s each, {users} connections/users, load average {load:.1f}\n")
    sys.stdout.write(
        f"{'endpoint':<12} {'wrk':>7} {'locust':>7} {'harness':>7}  harness/wrk  locust/wrk"
        "   CPU ms/request wrk locust harness\n"
    )
    for name, wrk, plain, generator in rows:
        sys.stdout.write(
            f"{name:<12} {wrk.rate:7.0f} {plain.rate:7.0f} {generator.rate:7.0f}  "
            f"{generator.rate / wrk.rate:10.0%}  {plain.rate / wrk.rate:10.0%}"
            f"   {wrk.cpu_ms:18.3f} {plain.cpu_ms:6.3f} {generator.cpu_ms:7.3f}\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
