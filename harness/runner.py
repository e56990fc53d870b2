"""`mcp-auth-harness run`: drive pytest over the scenario suites, show progress, pick the exit code.

The CLI and `pytest scenarios/` are one engine: this module only adds the live progress display,
the closing summary and the exit-code policy around `pytest.main`.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from harness.baseline import apply_baseline, load_baseline
from harness.baseline import write_baseline as write_baseline_file
from harness.cli import DEFAULT_DEADLINE_S
from harness.client_gate import parse_required_clients, unmet_clients
from harness.config import load_config
from harness.errors import ConfigError
from harness.profiles.catalogue import load_profiles
from harness.profiles.catalogue import select as choose
from harness.report import load_report, render_all
from harness.results import Result, Verdict

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_HARNESS = 0, 1, 2, 3
_COMPAT_STYLE = {"works": "green", "degraded": "yellow", "broken": "bold red"}
_STYLE = {"pass": "green", "fail": "bold red", "warn": "yellow", "skip": "dim", "error": "magenta"}


class _LiveProgress:
    """A pytest plugin object: a progress bar fed by `pytest_mcp_result`, findings as they come."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            TextColumn("[bold]checks"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=console,
            transient=True,
        )
        self.task = self.progress.add_task("", total=None)

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self.progress.update(self.task, total=len(items))
        self.progress.start()

    def pytest_mcp_result(self, result: Result) -> None:
        self.progress.update(self.task, advance=1, description=result.check)
        if result.verdict in {Verdict.FAIL, Verdict.WARN, Verdict.ERROR}:
            style = _STYLE[result.verdict.value]
            self.progress.console.print(
                f"[{style}]{result.verdict.value:>5}[/] {result.check}: {escape(result.message)}",
                markup=True,
                highlight=False,
                soft_wrap=True,
            )

    def pytest_sessionfinish(self) -> None:
        self.progress.stop()


def scenarios_dir() -> Path:
    spec = importlib.util.find_spec("scenarios")
    if spec is None or spec.origin is None:
        raise ConfigError("the scenarios package is not installed (pip install -e .)")
    return Path(spec.origin).parent


def run_command(
    *,
    target: str | None,
    config_path: str | None,
    profiles: Sequence[str],
    spec: str,
    out: Path,
    fail_on: str,
    seed: int | None,
    select: str | None = None,
    profile_dirs: Sequence[str] = (),
    max_registrations: int | None = None,
    require_clients: str | None = None,
    deadline_s: float = DEFAULT_DEADLINE_S,
    allow_private: bool = False,
    baseline: str | None = None,
    write_baseline: str | None = None,
) -> int:
    load_config(config_path)  # configuration errors surface here, before pytest starts
    # and so do unknown or invalid profiles, and required clients the run would not simulate
    simulated = choose(load_profiles(profile_dirs), profiles)
    required = parse_required_clients(require_clients, [p.name for p in simulated])
    if baseline is not None:
        load_baseline(baseline)  # a missing or malformed baseline is a usage error, up front
    if deadline_s <= 0:
        raise ConfigError("--deadline must be more than 0 seconds")
    console = Console(stderr=True)
    suites = scenarios_dir()
    args = [
        str(suites),
        "-c",
        str(suites / "pytest.ini"),
        "--rootdir",
        str(suites),
        "-p",
        "no:terminal",
        "-p",
        "no:cacheprovider",
        "--mcp-out",
        str(out),
        "--mcp-spec",
        spec,
    ]
    if target:
        args += ["--mcp-target", target]
    if config_path:
        args += ["--mcp-config", config_path]
    if seed is not None:
        args += ["--mcp-seed", str(seed)]
    if select:
        args += ["-k", select]
    if max_registrations is not None:
        if max_registrations < 0:
            raise ConfigError("--max-registrations must be 0 or more")
        args += ["--mcp-max-registrations", str(max_registrations)]
    args += ["--mcp-deadline", str(deadline_s)]
    if allow_private:
        args += ["--mcp-allow-private"]
    for profile in profiles:
        args += ["--mcp-profile", profile]
    for folder in profile_dirs:
        args += ["--mcp-profile-dir", str(Path(folder).resolve())]
    live = _LiveProgress(console)
    code = pytest.main(args, plugins=[live])
    report_path = out / "report.json"
    if code in {pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.NO_TESTS_COLLECTED}:
        console.print("[red]no checks ran[/]: check --target, --profile and -k")
        return EXIT_USAGE
    if not report_path.exists():
        console.print(f"[magenta]the harness failed (pytest exit {int(code)}); no report written")
        return EXIT_HARNESS
    counted = judge_baseline(console, report_path, baseline, write_baseline)
    return _conclude(console, report_path, fail_on, required, counted)


def _conclude(
    console: Console,
    report_path: Path,
    fail_on: str,
    required: Mapping[str, frozenset[str]],
    counted: frozenset[tuple[str, str | None]] | None = None,
) -> int:
    report = json.loads(report_path.read_text(encoding="utf-8"))
    results = report["results"]
    _print_summary(console, report, results)
    console.print(
        f"reports: {report_path.parent}/ "
        "(report.json, report.html, report.md, junit.xml, report.sarif)"
    )
    fatal = (report.get("harness") or {}).get("fatal")
    if fatal:
        console.print(f"[magenta]{fatal}")
        return EXIT_HARNESS
    verdicts = [r["verdict"] for r in results]
    failing = {"must": {"fail"}, "should": {"fail", "warn"}, "none": set()}[fail_on]
    # with a baseline, only the findings it does not list count
    judged = [r for r in results if counted is None or (r["check"], r.get("profile")) in counted]
    if any(r["verdict"] in failing for r in judged):
        return EXIT_FINDINGS
    unmet = unmet_clients(report.get("compatibility") or [], required)
    if unmet:
        console.print(f"[red]--require-clients not met[/]: {'; '.join(unmet)}")
        return EXIT_FINDINGS
    if "error" in verdicts:
        console.print("[magenta]some checks could not run (error verdicts); see the report")
        return EXIT_HARNESS
    return EXIT_OK


def _print_summary(
    console: Console, report: dict[str, object], results: list[dict[str, str]]
) -> None:
    table = Table(
        title=f"mcp-auth-harness: {report['target']['url']}",  # type: ignore[index]
        show_lines=False,
    )
    for column in ("check", "profile", "verdict", "message"):
        table.add_column(column, overflow="fold")
    shown = [r for r in results if r["verdict"] != "pass"] or results
    for r in shown:
        style = _STYLE[r["verdict"]]
        table.add_row(
            r["check"], r.get("profile") or "", f"[{style}]{r['verdict']}[/]", escape(r["message"])
        )
    console.print(table)
    _print_compatibility(console, report.get("compatibility"))
    summary = report["summary"]
    assert isinstance(summary, dict)
    console.print("  ".join(f"[{_STYLE[k]}]{k} {v}[/]" for k, v in summary.items()))


def _print_compatibility(console: Console, entries: object) -> None:
    """The compatibility matrix: one row per client profile, with its main reason."""
    if not isinstance(entries, list) or not entries:
        return
    table = Table(title="client compatibility", show_lines=False)
    for column in ("profile", "verdict", "phase", "main reason (attribution)"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        reasons = entry.get("reasons") or []
        main = f"{reasons[0]['text']} ({reasons[0]['attribution']})" if reasons else ""
        verdict = str(entry["verdict"])
        table.add_row(
            str(entry["profile"]),
            f"[{_COMPAT_STYLE.get(verdict, 'white')}]{verdict}[/]",
            str(entry.get("phase") or ""),
            escape(main),
        )
    console.print(table)


def judge_baseline(
    console: Console, report_path: Path, baseline: str | None, write: str | None
) -> frozenset[tuple[str, str | None]] | None:
    """Apply --baseline (re-rendering the reports with its section) or --write-baseline; the
    (check, profile) keys whose findings still count for the exit code, or None: all count."""
    if write is not None:
        entries = write_baseline_file(load_report(report_path), write)
        console.print(f"baseline written: {write} ({len(entries)} accepted findings)")
        return frozenset()
    if baseline is None:
        return None
    report, new, fixed, stale = apply_baseline(load_report(report_path), baseline)
    render_all(report, report_path.parent)
    console.print(f"baseline {baseline}: {len(new)} new, {len(fixed)} fixed, {len(stale)} stale")
    for entry in fixed:
        console.print(f"[green]fixed[/] {escape(entry.name)}")
    for entry in stale:
        console.print(f"[yellow]stale baseline entry[/] {escape(entry.name)}: not judged again")
    return frozenset((r.check, r.profile) for r in new)
