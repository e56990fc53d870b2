"""`mcp-auth-harness fuzz`: the options, the embedded reference when no --target is given, the
progress display and report.json (a `fuzz` section and `fuzz.*` results). Heavy modules are
imported only when the command runs."""

from __future__ import annotations

import argparse
import contextlib
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.fuzz.replay import SavedFailure
    from harness.results import Result

AREA_NAMES = ("authorize", "token", "register", "bearer", "state")


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    fuzz = commands.add_parser(
        "fuzz",
        help="hypothesis-driven OAuth and bearer fuzzing (default: the embedded reference)",
        description="Mutate the target's own authorization, token, registration and bearer "
        "requests, shrink each failure to its smallest input and write report.json with a "
        "redacted curl chain. Without --target the bundled reference server is started.",
    )
    fuzz.add_argument("--target", metavar="URL", help="the MCP endpoint")
    fuzz.add_argument(
        "--area",
        metavar="A,B",
        default=",".join(AREA_NAMES),
        help=f"areas to fuzz (default: {','.join(AREA_NAMES)})",
    )
    fuzz.add_argument("--max-examples", metavar="N", type=int, default=500, help="per area")
    fuzz.add_argument("--seed", metavar="S", type=int, help="hypothesis seed (default: random)")
    fuzz.add_argument(
        "--time-budget", metavar="T", type=float, default=60.0, help="seconds per area"
    )
    fuzz.add_argument(
        "--intrusive",
        action="store_true",
        help="also send inputs that create state (registrations beyond the cap)",
    )
    fuzz.add_argument(
        "--replay",
        metavar="FILE",
        help="re-run the failures a saved report.json (or failures list) holds, with fresh codes "
        "and tokens; one is fixed only after 3 clean replays",
    )
    from harness.cli import FAIL_ON, add_baseline_options  # loaded already: the CLI calls this

    fuzz.add_argument(
        "--fail-on",
        default="must",
        choices=FAIL_ON,
        help="exit 1 when findings reach this level (default: must); with --baseline, new ones",
    )
    add_baseline_options(fuzz)
    fuzz.add_argument("--out", metavar="DIR", help="output folder (default: reports/<timestamp>/)")


def main(args: argparse.Namespace) -> int:
    from harness.errors import ConfigError

    areas = tuple(a.strip() for a in args.area.split(",") if a.strip())
    unknown = [a for a in areas if a not in AREA_NAMES]
    if unknown or not areas:
        raise ConfigError(f"--area {args.area!r}: valid areas are {', '.join(AREA_NAMES)}")
    if args.max_examples < 1 or args.time_budget <= 0:
        raise ConfigError("--max-examples and --time-budget must be positive")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    out = (
        Path(args.out)
        if args.out
        else Path("reports") / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    )
    if args.replay:
        from harness.fuzz.replay import load_failures

        failures = load_failures(Path(args.replay))
        with _target(args.target) as url:
            return _replay(url, failures, args, seed, out)
    with _target(args.target) as url:
        return _fuzz(url, areas, args, seed, out)


def _replay(
    url: str, failures: list[SavedFailure], args: argparse.Namespace, seed: int, out: Path
) -> int:
    from rich.console import Console

    from harness.fuzz.replay import CLEAN_REPLAYS, results, run_replay

    console = Console(stderr=True)
    started_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    started = time.monotonic()
    replayed = run_replay(url, failures, seed)
    section: dict[str, object] = {
        "settings": {"replay": str(args.replay), "clean_replays": CLEAN_REPLAYS},
        "replay": [r.to_json() for r in replayed],
    }
    code = _write(url, (started_at, started), seed, tuple(results(replayed)), section, args, out)
    for item in replayed:
        line = f"{item.saved.check} [{item.saved.kind}]: {item.status} ({item.message})"
        console.print(line, markup=False, highlight=False)
        if item.curl:
            console.print("    " + "\n    ".join(item.curl), markup=False, highlight=False)
    console.print(f"report: {out}/report.json")
    return code


def _write(
    url: str,
    start: tuple[str, float],
    seed: int,
    results: tuple[Result, ...],
    section: dict[str, object],
    args: argparse.Namespace,
    out: Path,
) -> int:
    """Build the report (`start`: its wall-clock stamp and monotonic start), judge it against
    --baseline / write --write-baseline, write it and return the exit code: 1 when findings at
    --fail-on count (new ones only with a baseline), else 3 when a check erred, else 0."""
    from harness import __version__
    from harness.baseline import gate
    from harness.report import render_all
    from harness.results import Report, Verdict

    report = Report(
        tool_version=__version__,
        target_url=url,
        spec_revision=None,
        started_at=start[0],
        duration_s=time.monotonic() - start[1],
        seed=seed,
        results=results,
        extra={"fuzz": section},
    )
    report, counted = gate(
        report, baseline=args.baseline, write=args.write_baseline, fail_on=args.fail_on
    )
    render_all(report, out)
    if counted:
        return 1
    return 3 if any(r.verdict is Verdict.ERROR for r in results) else 0


def _fuzz(url: str, areas: tuple[str, ...], args: argparse.Namespace, seed: int, out: Path) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from harness.fuzz.runner import FuzzSettings, run_fuzz

    console = Console(stderr=True)
    options = FuzzSettings(
        areas=areas,
        max_examples=args.max_examples,
        seed=seed,
        time_budget_s=args.time_budget,
        intrusive=args.intrusive,
    )
    started_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    started = time.monotonic()
    progress = Progress(
        TextColumn("[bold]fuzz {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    )
    tasks = {a: progress.add_task(a, total=args.max_examples) for a in areas}
    with progress:
        outcomes = run_fuzz(url, options, lambda area: progress.advance(tasks[area]))
    results = tuple(r for o in outcomes for r in o.results())
    section: dict[str, object] = {
        "settings": options.to_json(),
        "areas": [o.to_json() for o in outcomes],
        "failures": [f.to_json() for o in outcomes for f in o.failures],
    }
    code = _write(url, (started_at, started), seed, results, section, args, out)
    for outcome in outcomes:
        line = f"{outcome.area}: {outcome.examples} examples, {len(outcome.failures)} failures"
        console.print(line + (f" (skipped: {outcome.skipped})" if outcome.skipped else ""))
        for failure in outcome.failures:
            console.print(f"  [red]{failure.check}[/] [{failure.kind}] {failure.message}")
            console.print("    " + "\n    ".join(failure.curl), markup=False, highlight=False)
    console.print(f"seed {seed}; report: {out}/report.json")
    return code


@contextlib.contextmanager
def _target(url: str | None) -> Iterator[str]:
    """`url`, else the reference server as its own process (the engine never imports it);
    its first line names the MCP endpoint, so nothing waits on time."""
    if url:
        yield url
        return
    process = subprocess.Popen(
        [sys.executable, "-m", "simulators.reference"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        if not first.startswith("MCP endpoint:"):
            from harness.errors import TargetError

            raise TargetError("the embedded reference server did not start")
        yield first.split(":", 1)[1].strip()
    finally:
        process.terminate()
        process.wait(timeout=15)
        if process.stdout is not None:
            process.stdout.close()
