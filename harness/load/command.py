"""`mcp-auth-harness load`: the options and their bounds, the embedded reference when no
--target is given, live progress, report.json (a `load` section and `load.*` results) and the
exit code. Heavy modules are imported only when the command runs; locust only in subprocesses.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

MAX_USERS = 300
MAX_DURATION_S = 900.0
MAX_WORKERS = 8
MAX_REQUESTS = 2_000_000
DEFAULT_GRACE_MAX_S = 30.0  # the largest documented default reuse window (Okta)
START_TIMEOUT_S = 60.0  # the embedded reference names its endpoints within this
STOP_TIMEOUT_S = 15.0  # then SIGKILL


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    load = commands.add_parser(
        "load",
        help="locust-driven load on the auth paths with invariants under concurrency "
        "(default: the embedded reference)",
        description="Run locust headless in subprocesses against the target's MCP, token, "
        "registration and discovery endpoints: valid users alone first (the baseline), then "
        "the whole mix with an invalid-token flood and an expiry herd, while the harness races "
        "and replays refresh tokens. Writes per-endpoint RPS, p50/p95/p99, failures, a "
        "per-second series and the load.* invariants to report.json; exits 1 when an "
        "invariant or a gate fails. Without --target the bundled reference server is started.",
    )
    add = load.add_argument
    add("--target", metavar="URL", help="the MCP endpoint (loopback unless --allow-remote-target)")
    add("--config", metavar="FILE", help="target configuration (TOML, CONTRACT §2)")
    add("--users", metavar="N", type=int, default=20, help=f"users (1..{MAX_USERS}, default 20)")
    add("--spawn-rate", metavar="R", type=float, default=20.0, help="users started a second")
    add(
        "--duration",
        metavar="T",
        type=float,
        default=30.0,
        help=f"seconds of load (1..{MAX_DURATION_S:g}, default 30)",
    )
    add(
        "--mix",
        metavar="KIND=W,...",
        default="",
        help="user kinds and weights: mcp, refresh, invalid, login, register, discovery "
        "(default mcp=6,invalid=3,refresh=1,login=1,register=1,discovery=1)",
    )
    add("--workers", metavar="K", type=int, default=0, help="local locust worker processes")
    add(
        "--remote-workers",
        metavar="N",
        type=int,
        default=0,
        help="also wait for N locust workers on other machines (they log in themselves)",
    )
    add(
        "--master-bind-host",
        metavar="HOST",
        default="127.0.0.1",
        help="address the locust master listens on for workers (default 127.0.0.1)",
    )
    add("--master-port", metavar="P", type=int, default=0, help="its port (default: a free one)")
    add("--think-ms", metavar="MS", type=float, default=100.0, help="mean pause per user (0: none)")
    add("--max-requests", metavar="N", type=int, default=500_000, help="stop after N requests")
    add(
        "--max-registrations",
        metavar="N",
        type=int,
        default=25,
        help="registrations the register users may send (default 25)",
    )
    add("--race-size", metavar="N", type=int, default=8, help="concurrent refreshes raced")
    add(
        "--refresh-grace-max",
        metavar="S",
        type=float,
        default=DEFAULT_GRACE_MAX_S,
        help="longest reuse window of a rotated-out refresh token not judged a defect "
        f"(default {DEFAULT_GRACE_MAX_S:g}, Okta's default)",
    )
    add("--max-p95-ms", metavar="X", type=float, help="gate: every endpoint's p95 at most X ms")
    add("--max-fail-ratio", metavar="F", type=float, help="gate: failures/requests at most F")
    add(
        "--fail-on",
        default="must",
        choices=("must", "should"),
        help="exit 1 on a MUST invariant's fail (default), or on a SHOULD's warn too",
    )
    from harness.cli import add_baseline_options  # loaded already: the CLI calls this

    add_baseline_options(load)
    add("--allow-remote-target", action="store_true", help="allow a non-loopback target")
    add("--out", metavar="DIR", help="output folder (default: reports/<timestamp>/)")


def _validate(args: argparse.Namespace) -> None:
    from harness.errors import ConfigError
    from harness.load.mix import parse_mix

    bounds = (
        ("--users", args.users, 1, MAX_USERS),
        ("--duration", args.duration, 1, MAX_DURATION_S),
        ("--workers", args.workers, 0, MAX_WORKERS),
        ("--remote-workers", args.remote_workers, 0, 64),
        ("--master-port", args.master_port, 0, 65535),
        ("--max-requests", args.max_requests, 1, MAX_REQUESTS),
        ("--max-registrations", args.max_registrations, 0, 1000),
        ("--race-size", args.race_size, 2, 64),
    )
    for flag, value, low, high in bounds:
        if not low <= value <= high:
            raise ConfigError(f"{flag} {value:g} is outside {low:g}..{high:g}")
    if args.spawn_rate <= 0 or args.think_ms < 0 or args.refresh_grace_max < 0:
        raise ConfigError("--spawn-rate must be positive; --think-ms, --refresh-grace-max >= 0")
    parse_mix(args.mix)
    if args.target and not args.allow_remote_target and not _loopback(args.target):
        raise ConfigError(
            f"--target {args.target}: load goes to loopback targets only; "
            "pass --allow-remote-target for a server you operate"
        )


def _loopback(url: str) -> bool:
    from harness.egress import is_loopback_host

    return is_loopback_host(urlsplit(url).hostname or "")


def main(args: argparse.Namespace) -> int:
    _validate(args)
    out = (
        Path(args.out)
        if args.out
        else Path("reports") / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    )
    # the embedded reference's tokens expire mid-run: the expired class and a natural herd
    ttl = max(3, math.floor(args.duration * 0.45))
    with _terminate_cleanly(), _target(args.target, ("--access-token-ttl", str(ttl))) as found:
        from harness.load.run import run_load

        return run_load(found[0], args, out, other_resource=found[1])


@contextlib.contextmanager
def _terminate_cleanly() -> Iterator[None]:
    """SIGTERM unwinds like an exception, so every cleanup runs: the token material's folder
    is deleted and locust and the embedded reference are stopped (the default would just die)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def unwind(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, unwind)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _target(url: str | None, extra: tuple[str, ...]) -> Iterator[tuple[str, str | None]]:
    """(`url`, None), else the reference server as its own process with its second resource
    (for wrong-audience tokens); its first lines name both, so nothing waits on time."""
    if url:
        yield url, None
        return
    with serve([sys.executable, "-m", "simulators.reference", *extra]) as found:
        yield found


@contextlib.contextmanager
def serve(
    command: list[str], start_s: float = START_TIMEOUT_S, stop_s: float = STOP_TIMEOUT_S
) -> Iterator[tuple[str, str | None]]:
    """Run a server that names its MCP endpoint (and a second one) in its first two lines:
    those lines within `start_s`, else TargetError; stopped with SIGTERM, killed after `stop_s`."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603
    try:
        first, second = _first_lines(process, start_s)
        if not first.startswith("MCP endpoint:"):
            from harness.errors import TargetError

            raise TargetError(f"the embedded reference server did not start within {start_s:g} s")
        other = second.split(":", 1)[1].strip() if second.startswith("second MCP") else None
        yield first.split(":", 1)[1].strip(), other
    finally:
        process.terminate()
        try:
            process.wait(timeout=stop_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _first_lines(process: subprocess.Popen[str], timeout_s: float) -> tuple[str, str]:
    """The first two lines, or what came of them within `timeout_s` (a reader thread: a pipe's
    readline has no timeout; the thread ends when the process is stopped and the pipe closes)."""
    lines: list[str] = []
    done = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for _ in range(2):
            lines.append(process.stdout.readline())
        done.set()

    threading.Thread(target=read, daemon=True).start()
    done.wait(timeout_s)
    found = [*lines, "", ""]
    return found[0], found[1]
