"""One locust process's shared state (runs inside the locust subprocess only): the material,
the token-chain pool, the tally, the clock of the plan, and the wiring that brings every
worker's tally to the master and the master's merged tally into the results file.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import gevent  # type: ignore[import-untyped]
import gevent.lock  # type: ignore[import-untyped]
from locust import events
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from harness.load.excerpt import excerpt
from harness.load.material import MATERIAL_ENV, RESULTS_ENV, Material, TokenMaterial
from harness.load.names import HERD_WINDOW_S, PROGRESS_PREFIX
from harness.load.stats import Tally
from harness.redact import SecretVault, fingerprint

TARGET_ENV: Final = "MCP_LOAD_TARGET"
REPORT_KEY: Final = "mcp_auth_harness"
PENDING_KEY: Final = "mcp_auth_harness_pending"


@dataclass(slots=True)
class Chain:
    """One user's refresh-token chain: used by one locust user at a time."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: float | None


@dataclass(slots=True)
class LoadRuntime:
    material: Material
    vault: SecretVault
    tally: Tally = field(default_factory=Tally)
    chains: list[Chain] = field(default_factory=list)
    started_at: float = field(default_factory=time.time)
    registrations: int = 0
    requests: int = 0
    stopped: bool = False
    #: request name -> epoch second a 429's Retry-After lets it be sent again
    blocked_until: dict[str, float] = field(default_factory=dict)

    # --- the plan's clock --------------------------------------------------------------------

    def elapsed(self) -> float:
        return time.time() - self.started_at

    def phase(self) -> str:
        plan, t = self.material.plan, self.elapsed()
        if plan.herd_at_s is not None and plan.herd_at_s <= t < plan.herd_at_s + HERD_WINDOW_S:
            return "herd"
        return "baseline" if t < plan.baseline_s else "flood"

    def until_herd(self) -> float | None:
        herd = self.material.plan.herd_at_s
        return None if herd is None else herd - self.elapsed()

    def think(self) -> float:
        mean = self.material.plan.think_s
        return random.uniform(0.5 * mean, 1.5 * mean) if mean > 0 else 0.0  # noqa: S311

    # --- token chains ------------------------------------------------------------------------

    def take_chain(self) -> Chain | None:
        return self.chains.pop() if self.chains else None

    def give_chain(self, chain: Chain | None) -> None:
        if chain is not None:
            self.chains.append(chain)

    # --- bookkeeping -------------------------------------------------------------------------

    def record(self, name: str, ms: float, outcome: str) -> None:
        self.requests += 1
        if self.requests >= self.material.plan.max_requests:
            self.stopped = True
        self.tally.record(
            name=name, phase=self.phase(), second=int(self.elapsed()), ms=ms, outcome=outcome
        )

    def sample(
        self, name: str, method: str, url: str, token: str | None, status: int, body: str
    ) -> dict[str, object]:
        """Evidence of one request with every known secret fingerprinted."""
        return {
            "t_s": round(self.elapsed(), 3),
            "name": name,
            "request": {
                "method": method,
                "url": self.vault.redact_url(url),
                "token": fingerprint(token) if token else None,
            },
            "response": {"status": status, "body_excerpt": excerpt(self.vault, body)},
        }


def _listen(hook: Any, handler: Callable[..., None]) -> None:
    hook.add_listener(handler)  # locust's EventHook is untyped


def runtime_of(environment: Environment) -> LoadRuntime:
    """This process's runtime. Without harness-made material the first user to ask logs the
    users in (the others wait on the lock): a worker reads --mcp-target, --mcp-plan and
    --mcp-token-sets as its master sent them with the spawn message, so a worker on another
    machine needs no options of its own."""
    found = getattr(environment, REPORT_KEY, None)
    if isinstance(found, LoadRuntime):
        return found
    pending = getattr(environment, PENDING_KEY, None)
    if pending is None:
        raise RuntimeError(f"no load material: set {MATERIAL_ENV} (the harness does)")
    lock, own_target = pending  # a worker's own --mcp-target counts when its master has none
    target = _option(environment, "mcp_target", "") or own_target
    if not target:
        raise RuntimeError(
            f"no load material: set {MATERIAL_ENV} (the harness does) or --mcp-target URL"
        )
    with lock:
        found = getattr(environment, REPORT_KEY, None)
        if not isinstance(found, LoadRuntime):
            sets = int(str(_option(environment, "mcp_token_sets", 50)))
            plan = str(_option(environment, "mcp_plan", ""))
            found = _install(environment, _prepared_material(str(target), sets, plan))
    return found


def _option(environment: Environment, name: str, default: object) -> object:
    options = environment.parsed_options
    value = getattr(options, name, None) if options is not None else None
    return default if value in {None, ""} else value


def target_of(environment: Environment) -> str:
    """The MCP endpoint this process loads: from its material, else from --mcp-target."""
    found = getattr(environment, REPORT_KEY, None)
    if isinstance(found, LoadRuntime):
        return found.material.mcp_url
    pending = getattr(environment, PENDING_KEY, None)
    return str(_option(environment, "mcp_target", "") or (pending[1] if pending else ""))


def _install(environment: Environment, material: Material) -> LoadRuntime:
    runtime = LoadRuntime(
        material=material,
        vault=SecretVault(material.secrets()),
        chains=_chains(material.tokens),
    )
    runtime.tally.note("processes")  # how many processes ran users, in the merged tally
    setattr(environment, REPORT_KEY, runtime)
    return runtime


def _chains(tokens: tuple[TokenMaterial, ...]) -> list[Chain]:
    return [Chain(t.access_token, t.refresh_token, t.expires_at) for t in tokens]


def _prepared_material(target: str, token_sets: int, plan: str) -> Material:
    """Without the harness driving: log in from a plain subprocess (asyncio stays out of this
    gevent-patched process) and read what it wrote. The file holds tokens and the client
    secret: it is gone once read, or when the login fails."""
    handle, path = tempfile.mkstemp(prefix="mcp-load-", suffix=".json")
    os.close(handle)
    try:
        command = [sys.executable, "-m", "harness.load.prepare", "--target", target]
        command += ["--token-sets", str(token_sets), "--out", path]
        command += ["--plan", plan] if plan else []
        subprocess.run(command, check=True, timeout=300)  # noqa: S603 - our own module
        return Material.read(path)
    finally:
        Path(path).unlink(missing_ok=True)


def _options(parser: Any) -> None:
    parser.add_argument(
        "--mcp-target",
        default=os.environ.get(TARGET_ENV, ""),
        help="MCP endpoint to log in to when no harness-made material is given",
    )
    parser.add_argument("--mcp-token-sets", type=int, default=50, help="logins to prepare")
    parser.add_argument("--mcp-plan", default="", help="the run's plan (JSON; the harness sets it)")


def _init(environment: Environment, **_kwargs: object) -> None:
    path = os.environ.get(MATERIAL_ENV)
    options = environment.parsed_options
    target = getattr(options, "mcp_target", "") if options is not None else ""
    if isinstance(environment.runner, MasterRunner):
        return  # the master runs no users: each worker has material of its own
    if environment.host is None:
        environment.host = target or None
    if path:
        _install(environment, Material.read(path))
        if environment.host is None:
            environment.host = runtime_of(environment).material.mcp_url
    else:  # logged in from --mcp-target: now, or by a worker when its master starts it
        setattr(environment, PENDING_KEY, (gevent.lock.Semaphore(), target))
        if target and not isinstance(environment.runner, WorkerRunner):
            runtime_of(environment)


def _wire(environment: Environment, **_kwargs: object) -> None:
    runner = environment.runner
    merged = Tally()
    setattr(environment, REPORT_KEY + "_merged", merged)

    if isinstance(runner, WorkerRunner):

        def _send(client_id: str, data: dict[str, Any]) -> None:
            found = getattr(environment, REPORT_KEY, None)
            if isinstance(found, LoadRuntime):
                data[REPORT_KEY] = found.tally.drain()

        _listen(events.report_to_master, _send)
        return

    if isinstance(runner, MasterRunner):

        def _receive(client_id: str, data: dict[str, Any]) -> None:
            delta = data.get(REPORT_KEY)
            if isinstance(delta, dict):
                merged.merge(delta)

        _listen(events.worker_report, _receive)

    def _progress(environment: Environment, **_kw: object) -> None:
        gevent.spawn(_report_progress, environment)

    def _results(environment: Environment, **_kw: object) -> None:
        out = os.environ.get(RESULTS_ENV)
        if out:
            Path(out).write_text(json.dumps(_final_tally(environment).to_json()))

    _listen(events.test_start, _progress)
    _listen(events.quitting, _results)


def _clock(environment: Environment, **_kwargs: object) -> None:
    found = getattr(environment, REPORT_KEY, None)
    if isinstance(found, LoadRuntime):
        found.started_at = time.time()


def _final_tally(environment: Environment) -> Tally:
    merged: Tally = getattr(environment, REPORT_KEY + "_merged")
    local = getattr(environment, REPORT_KEY, None)
    if isinstance(local, LoadRuntime):  # a local run: this process's own tally
        merged.merge(local.tally.to_json())
        local.tally = Tally()
    return merged


def _report_progress(environment: Environment) -> None:
    """A JSON line a second on stdout for the harness's live display (master or local)."""
    started = time.time()
    last = 0
    runner = environment.runner
    while runner is not None and runner.state not in {"stopped", "quitting"}:
        gevent.sleep(1.0)
        total = environment.stats.total
        line = {
            "t": round(time.time() - started, 1),
            "users": runner.user_count,
            "requests": total.num_requests,
            "rps": total.num_requests - last,
            "failures": total.num_failures,
            "p95_ms": total.get_current_response_time_percentile(0.95),
        }
        last = total.num_requests
        sys.stdout.write(PROGRESS_PREFIX + json.dumps(line) + "\n")
        sys.stdout.flush()


_listen(events.init_command_line_parser, _options)
_listen(events.init, _init)
_listen(events.init, _wire)
_listen(events.test_start, _clock)
