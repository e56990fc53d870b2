"""The command line (CONTRACT §1): run, report, checks, profiles, serve-reference.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 usage or configuration
error (the message names the flag or key); 3 target unreachable or the harness itself failed.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

from harness import __version__
from harness.errors import ConfigError, HarnessError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_HARNESS = 0, 1, 2, 3
SPEC_REVISIONS = ("auto", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28")
FAIL_ON = ("must", "should", "none")
DEFAULT_DEADLINE_S = 120.0
# Commands that live in their own package: each module has add_parser(commands) and
# main(args) -> exit code, and imports its heavy dependencies only inside main.
COMMAND_MODULES = {
    "fuzz": "harness.fuzz.command",
    "proxy": "harness.proxy.command",
    "load": "harness.load.command",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def add_baseline_options(parser: argparse.ArgumentParser) -> None:
    """--baseline / --write-baseline (harness.baseline), for every command that judges a target."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--baseline",
        metavar="FILE",
        help="findings listed in FILE do not fail the run; new ones do; fixed ones are listed "
        "and entries not judged again warn",
    )
    group.add_argument(
        "--write-baseline",
        metavar="FILE",
        help="write this run's findings (fail and warn) to FILE as accepted ones",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mcp-auth-harness",
        description="Security test harness and client-quirk simulator for MCP authorization.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser(
        "run",
        help="run every check against a target (default: the embedded reference server)",
        description="Run the checks and scenarios against an MCP server and write the reports. "
        "Without --target or [target].url, the bundled reference server is started on a free "
        "loopback port and used as the target.",
    )
    run.add_argument("--target", metavar="URL", help="the MCP endpoint (overrides [target].url)")
    run.add_argument("--config", metavar="FILE", help="target configuration (TOML, CONTRACT §2)")
    run.add_argument(
        "--profile",
        metavar="NAME",
        action="append",
        default=[],
        help="client profile to simulate; repeatable (default: every profile)",
    )
    run.add_argument(
        "--profile-dir",
        metavar="DIR",
        action="append",
        default=[],
        help="a folder of user profile files (*.toml) to add; repeatable",
    )
    run.add_argument(
        "--spec",
        metavar="REV",
        default="auto",
        choices=SPEC_REVISIONS,
        help="protocol revision: auto (negotiate, default) or one of "
        + ", ".join(SPEC_REVISIONS[1:]),
    )
    run.add_argument("--out", metavar="DIR", help="output folder (default: reports/<timestamp>/)")
    run.add_argument(
        "--fail-on",
        default="must",
        choices=FAIL_ON,
        help="exit 1 when findings reach this level (default: must)",
    )
    run.add_argument("--seed", metavar="N", type=int, help="random seed (default: random)")
    run.add_argument(
        "--max-registrations",
        metavar="N",
        type=int,
        help="send at most N client registrations; checks needing more skip (default: no cap)",
    )
    run.add_argument(
        "--require-clients",
        metavar="NAME[:degraded],...",
        help="exit 1 unless each named client profile is `works` "
        "(NAME:degraded also accepts `degraded`)",
    )
    run.add_argument(
        "--deadline",
        metavar="S",
        type=float,
        default=DEFAULT_DEADLINE_S,
        help=f"stop sending requests after S seconds; unfinished checks are `error` "
        f"(default: {DEFAULT_DEADLINE_S:g})",
    )
    run.add_argument(
        "--allow-private",
        action="store_true",
        help="let a public target's metadata point the harness at private addresses",
    )
    add_baseline_options(run)
    run.add_argument(
        "-k",
        metavar="EXPR",
        dest="select",
        help="only checks whose id matches this pytest -k expression",
    )

    report = commands.add_parser(
        "report",
        help="re-render a report.json into HTML, Markdown, JUnit and SARIF",
        description="Re-render a saved report.json (byte for byte as the run wrote them). "
        "With --baseline, judge it against a baseline: exit 1 on new findings only.",
    )
    report.add_argument("report_json", metavar="REPORT_JSON", help="a report.json file")
    report.add_argument("--out", metavar="DIR", help="output folder (default: beside the input)")
    report.add_argument(
        "--format",
        metavar="LIST",
        default="html,md,junit,sarif",
        help="comma-separated renderings: html, md, junit, sarif (default: all); "
        "report.json is always written",
    )
    report.add_argument("--baseline", metavar="FILE", help="accepted findings (see run)")
    report.add_argument(
        "--fail-on",
        default="must",
        choices=FAIL_ON,
        help="with --baseline: exit 1 when new findings reach this level (default: must)",
    )

    commands.add_parser("checks", help="list the built-in checks")
    profiles = commands.add_parser(
        "profiles",
        help="list the client profiles, or show one with its quirks and sources",
    )
    profiles.add_argument("--show", metavar="NAME", help="print one profile in full")
    profiles.add_argument(
        "--profile-dir", metavar="DIR", action="append", default=[], help="add user profiles"
    )

    simulate = commands.add_parser(
        "simulate-client",
        help="act as one profile's client against a server and print the transcript",
        description="Run the profile's OAuth flow and MCP calls against URL, printing every "
        "exchange (secrets fingerprinted). Usable as the client command of the official "
        "conformance suite (which appends the server URL).",
    )
    simulate.add_argument("--profile", metavar="NAME", required=True, help="the client profile")
    simulate.add_argument(
        "--profile-dir", metavar="DIR", action="append", default=[], help="add user profiles"
    )
    simulate.add_argument("--config", metavar="FILE", help="target configuration (TOML)")
    simulate.add_argument(
        "--spec", metavar="REV", default="auto", choices=SPEC_REVISIONS, help="protocol revision"
    )
    simulate.add_argument("--tool", metavar="NAME", help="the tool to call once connected")
    simulate.add_argument("url", metavar="URL", help="the MCP endpoint")

    serve = commands.add_parser(
        "serve-reference",
        help="start the bundled reference MCP server and authorization server",
        add_help=False,
    )
    serve.add_argument(
        "args",
        nargs=argparse.REMAINDER,
        help="options of the reference server (see serve-reference --help)",
    )
    for module in COMMAND_MODULES.values():
        importlib.import_module(module).add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve-reference"]:
        # Every option after it belongs to the reference server, including --help.
        return _serve_reference(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            from harness.runner import run_command

            return run_command(
                target=args.target,
                config_path=args.config,
                profiles=args.profile,
                profile_dirs=args.profile_dir,
                spec=args.spec,
                out=Path(args.out) if args.out else _default_out(),
                fail_on=args.fail_on,
                seed=args.seed,
                select=args.select,
                max_registrations=args.max_registrations,
                require_clients=args.require_clients,
                deadline_s=args.deadline,
                allow_private=args.allow_private,
                baseline=args.baseline,
                write_baseline=args.write_baseline,
            )
        if args.command == "report":
            return _report(args)
        if args.command == "checks":
            return _list_checks()
        if args.command == "profiles":
            return _profiles(args.show, args.profile_dir)
        if args.command == "simulate-client":
            return _simulate(args)
        main_of: Callable[[argparse.Namespace], int] = importlib.import_module(
            COMMAND_MODULES[args.command]
        ).main
        return main_of(args)
    except ConfigError as exc:
        print(f"mcp-auth-harness: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except HarnessError as exc:  # the target unreachable, or the harness could not go on
        print(f"mcp-auth-harness {args.command}: {exc}", file=sys.stderr)
        return EXIT_HARNESS
    except KeyboardInterrupt:
        print("mcp-auth-harness: interrupted", file=sys.stderr)
        return EXIT_HARNESS


def _default_out() -> Path:
    return Path("reports") / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _report(args: argparse.Namespace) -> int:
    from harness.baseline import apply_baseline, failing
    from harness.report import load_report, parse_formats, render_all

    try:
        formats = parse_formats(args.format)
    except ValueError as exc:
        raise ConfigError(f"--format: {exc}") from exc
    path = Path(args.report_json)
    report = load_report(path)
    new: tuple[object, ...] = ()
    if args.baseline:
        report, found, fixed, stale = apply_baseline(report, args.baseline)
        new = tuple(failing(found, args.fail_on))
        print(f"baseline: {len(found)} new, {len(fixed)} fixed, {len(stale)} stale")
    written = render_all(report, Path(args.out) if args.out else path.parent, formats)
    for kind, file in written.items():
        print(f"{kind}: {file}")
    return EXIT_FINDINGS if new else EXIT_OK


def _list_checks() -> int:
    from harness.checks import ALL_CHECKS, OBSERVED_CHECKS

    width = max(len(c.id) for c in (*ALL_CHECKS, *OBSERVED_CHECKS))
    for c in (*ALL_CHECKS, *OBSERVED_CHECKS):
        scope = " (per profile)" if c.per_profile else ""
        scope += " (observed traffic, proxy)" if c in OBSERVED_CHECKS else ""
        print(f"{c.id:<{width}}  {c.level.value:<6}  {c.severity.value:<8}  {c.title}{scope}")
    return EXIT_OK


def _profiles(name: str | None, dirs: Sequence[str]) -> int:
    from harness.profiles.catalogue import load_profiles, select
    from harness.profiles.show import listing, show

    catalogue = load_profiles(dirs)
    chosen = select(catalogue, [name])[0] if name is not None else None
    lines = listing(catalogue.values()) if chosen is None else show(chosen)
    print("\n".join(lines))
    return EXIT_OK


def _simulate(args: argparse.Namespace) -> int:
    import asyncio

    from harness.config import load_config
    from harness.errors import TargetError
    from harness.profiles.catalogue import load_profiles, select
    from harness.profiles.simulate import from_environment, simulate

    profile = select(load_profiles(args.profile_dir), [args.profile])[0]
    sim = from_environment(profile, args.url, load_config(args.config), args.spec, args.tool)
    try:
        return asyncio.run(simulate(sim, lambda line: print(line, flush=True)))
    except TargetError as exc:
        print(f"mcp-auth-harness simulate-client: {exc}", file=sys.stderr)
        return EXIT_HARNESS


def _serve_reference(args: Sequence[str]) -> NoReturn:
    # The reference server lives in `simulators`, which the engine must not import: run it as
    # its own program in place of this one.
    command = [sys.executable, "-m", "simulators.reference", *args]
    os.execv(sys.executable, command)  # noqa: S606 - our own interpreter and module


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
