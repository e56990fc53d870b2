"""Runs locust headless as subprocesses (never in this process: gevent) — one local process,
or a master with K local workers — feeds its progress lines to a callback and reads the merged
tally the master writes when it quits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from harness.errors import HarnessError
from harness.load.material import MATERIAL_ENV, RESULTS_ENV
from harness.load.mix import MIX_ENV
from harness.load.names import PROGRESS_PREFIX
from harness.load.stats import Tally
from harness.redact import SecretVault

LOCUSTFILE: Final = Path(__file__).with_name("locustfile.py")
START_SLACK_S: Final = 60.0  # start-up and shutdown allowance beyond the planned duration
REMOTE_WAIT_S: Final = 300.0  # how long remote workers may take to connect
Progress = Callable[[dict[str, object]], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class LocustSettings:
    users: int
    spawn_rate: float
    duration_s: float
    workers: int
    mix: str
    #: workers on other machines: they connect to the master and log in themselves with what
    #: the master sends them (--mcp-target, --mcp-plan, --mcp-token-sets)
    remote_workers: int = 0
    master_host: str = "127.0.0.1"
    master_port: int = 0  # 0: a free port
    remote_plan: str = ""  # the plan as JSON
    remote_token_sets: int = 0

    @property
    def distributed(self) -> bool:
        return bool(self.workers or self.remote_workers)


@dataclass(frozen=True, slots=True, kw_only=True)
class LocustRun:
    tally: Tally
    exit_codes: tuple[int, ...]  # the master's (or the single process's) first
    stderr_tail: str  # redacted


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env(settings: LocustSettings, material: Path, results: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCP_LOAD_")}
    env.update(
        {
            MATERIAL_ENV: str(material),
            MIX_ENV: settings.mix,
            "MCP_LOAD_SHAPE": "1",
            "MCP_LOAD_USERS": str(settings.users),
            "MCP_LOAD_SPAWN_RATE": f"{settings.spawn_rate:g}",
        }
    )
    if results is not None:
        env[RESULTS_ENV] = str(results)
    return env


def commands(settings: LocustSettings, host: str, port: int) -> list[list[str]]:
    """The master's (or the single process's) command line first, then each worker's."""
    base = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless"]
    base += ["--host", host, "--only-summary", "--loglevel", "WARNING"]
    if not settings.distributed:
        return [base]
    expected = settings.workers + settings.remote_workers
    master = [*base, "--master", "--expect-workers", str(expected)]
    master += ["--master-bind-host", settings.master_host, "--master-bind-port", str(port)]
    if settings.remote_workers:
        master += ["--mcp-target", host, "--mcp-plan", settings.remote_plan]
        master += ["--mcp-token-sets", str(settings.remote_token_sets)]
    worker = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker"]
    worker += ["--master-host", "127.0.0.1", "--master-port", str(port), "--loglevel", "WARNING"]
    return [master] + [worker] * settings.workers


async def run_locust(
    settings: LocustSettings,
    host: str,
    materials: Sequence[Path],
    results: Path,
    vault: SecretVault,
    on_progress: Progress,
) -> LocustRun:
    """`materials[0]` is the master's (or the single process's), then one per worker."""
    port = settings.master_port or _free_port()
    lines = commands(settings, host, port)
    if settings.remote_workers:
        on_progress({"remote_workers": settings.remote_workers, "master_port": port})
    processes: list[asyncio.subprocess.Process] = []
    try:
        for index, command in enumerate(lines):
            env = _env(settings, materials[index], results if index == 0 else None)
            processes.append(
                await asyncio.create_subprocess_exec(
                    *command,
                    env=env,
                    stdout=asyncio.subprocess.PIPE if index == 0 else asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.PIPE,
                )
            )
        tails = [asyncio.create_task(_tail(p)) for p in processes]
        watch = _watch(processes[0], on_progress)
        limit = settings.duration_s + START_SLACK_S
        limit += REMOTE_WAIT_S if settings.remote_workers else 0.0
        async with asyncio.timeout(limit):
            await watch
            codes = tuple([await p.wait() for p in processes])
            stderr = "\n".join(await asyncio.gather(*tails))
    except TimeoutError:
        raise HarnessError(f"locust did not finish within {limit:g} s") from None
    finally:
        for process in processes:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
    return _read_results(results, codes, vault.redact(stderr[-4000:]))


def _read_results(results: Path, codes: tuple[int, ...], tail: str) -> LocustRun:
    if not results.exists():
        raise HarnessError(f"locust wrote no results (exit codes {codes}): {tail}")
    tally = Tally.from_json(json.loads(results.read_text()))
    return LocustRun(tally=tally, exit_codes=codes, stderr_tail=tail)


async def _watch(process: asyncio.subprocess.Process, on_progress: Progress) -> None:
    assert process.stdout is not None
    async for raw in process.stdout:
        line = raw.decode("utf-8", "replace")
        if line.startswith(PROGRESS_PREFIX):
            with contextlib.suppress(ValueError):
                on_progress(json.loads(line[len(PROGRESS_PREFIX) :]))


async def _tail(process: asyncio.subprocess.Process) -> str:
    assert process.stderr is not None
    kept: list[str] = []
    async for raw in process.stderr:
        kept.append(raw.decode("utf-8", "replace"))
        del kept[:-40]
    return "".join(kept)
