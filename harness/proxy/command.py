"""`mcp-auth-harness proxy`: mitmproxy in front of a real server, faults switched at run time,
a live MCP/OAuth-aware view, and report.json (plus the other formats) when it stops."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.proxy.runner import ProxySettings


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    proxy = commands.add_parser(
        "proxy",
        help="mitmproxy between a real client and a real server: faults, live view, report",
        description="Run mitmproxy with the harness addon: in reverse mode in front of "
        "--upstream (the client connects to --listen), or with --forward as a regular proxy "
        "for clients that honour HTTPS_PROXY (they must trust ~/.mitmproxy/mitmproxy-ca-cert.pem"
        ", e.g. SSL_CERT_FILE or NODE_EXTRA_CA_CERTS). Faults can be added and removed while it "
        "runs through the loopback control API (GET/POST/DELETE /faults; POST a JSON "
        '{"spec": ...} as application/json; requests with an Origin or a foreign Host are '
        "refused). report.json and the "
        "other formats are written to --out when it stops: after --duration, after --until-idle "
        "seconds without traffic, or on Ctrl-C/SIGTERM. It exits 1 when a passive check fails "
        "(with --baseline: only a failure the baseline does not list).",
    )
    where = proxy.add_mutually_exclusive_group()
    where.add_argument("--upstream", metavar="URL", help="the MCP endpoint to proxy (reverse)")
    where.add_argument("--forward", action="store_true", help="regular (forward) proxy mode")
    where.add_argument(
        "--addon-path", action="store_true", help="print the script for `mitmdump -s` and exit"
    )
    proxy.add_argument(
        "--listen",
        metavar="HOST:PORT",
        default="127.0.0.1:8080",
        help="default 127.0.0.1:8080; a non-loopback host needs --allow-remote-clients",
    )
    proxy.add_argument(
        "--allow-remote-clients",
        action="store_true",
        help="allow a --listen address other hosts can reach (with --forward: an open proxy "
        "for anyone on that network)",
    )
    proxy.add_argument(
        "--fault",
        metavar="SPEC",
        action="append",
        default=[],
        help="KIND[:KEY=VALUE,...], repeatable; `--fault list` explains each kind",
    )
    proxy.add_argument("--as-profile", metavar="NAME", help="replay this client profile's quirks")
    proxy.add_argument("--seed", metavar="N", type=int, default=0, help="fault seed (0: random)")
    proxy.add_argument(
        "--control-port",
        metavar="PORT",
        type=int,
        default=0,
        help="control API port on 127.0.0.1 (default: any free one; -1: off)",
    )
    proxy.add_argument("--out", metavar="DIR", help="output folder (default: reports/<timestamp>/)")
    proxy.add_argument("--quiet", action="store_true", help="no live view")
    from harness.cli import add_baseline_options  # loaded already: the CLI calls this

    add_baseline_options(proxy)
    stop = proxy.add_mutually_exclusive_group()
    stop.add_argument("--duration", metavar="S", type=float, help="stop after S seconds")
    stop.add_argument(
        "--until-idle", metavar="S", type=float, help="stop after S seconds without a request"
    )


def main(args: argparse.Namespace) -> int:
    from harness.errors import ConfigError

    if args.addon_path:
        from harness.proxy import mitm_script

        sys.stdout.write(f"{Path(mitm_script.__file__).resolve()}\n")
        return 0
    if "list" in args.fault:
        from harness.proxy.faults import describe_kinds

        sys.stdout.write(describe_kinds() + "\n")
        return 0
    if not args.upstream and not args.forward:
        raise ConfigError("proxy: give --upstream URL (reverse mode) or --forward")
    for name in ("duration", "until_idle"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            raise ConfigError(f"--{name.replace('_', '-')} must be positive")
    from harness.errors import TargetError

    settings = _settings(args)
    try:
        return _serve(settings, _out(args), args)
    except TargetError as exc:  # e.g. the listen address is taken
        sys.stderr.write(f"mcp-auth-harness proxy: {exc}\n")
        return 3


def _settings(args: argparse.Namespace) -> ProxySettings:
    from harness.errors import ConfigError
    from harness.proxy.runner import ProxySettings

    host, sep, port = args.listen.rpartition(":")
    if not sep or not port.isdigit():
        raise ConfigError(f"--listen {args.listen!r}: expected HOST:PORT")
    listen_host = host.strip("[]") or "127.0.0.1"
    if not args.allow_remote_clients and not _loopback(listen_host):
        raise ConfigError(
            f"--listen {args.listen!r} is reachable from other hosts (the proxy would relay "
            "their requests and show them the traffic); add --allow-remote-clients if you mean it"
        )
    return ProxySettings(
        upstream=None if args.forward else args.upstream,
        listen_host=listen_host,
        listen_port=int(port),
        faults=tuple(args.fault),
        seed=args.seed,
        as_profile=args.as_profile,
        out=None,  # written here once judged against --baseline (see _serve)
        control_port=args.control_port,
        duration_s=args.duration,
        until_idle_s=args.until_idle,
        console=not args.quiet,
    )


def _out(args: argparse.Namespace) -> Path:
    if args.out:
        return Path(args.out)
    return Path("reports") / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _loopback(host: str) -> bool:
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # another name: it may resolve anywhere
        return False


def _serve(settings: ProxySettings, out: Path, args: argparse.Namespace) -> int:
    import asyncio
    import signal

    from rich.console import Console

    from harness.baseline import gate
    from harness.proxy.runner import ProxyInfo, ProxyRun
    from harness.report import render_all

    console = Console(stderr=True, highlight=False)

    def show(line: str | None) -> None:
        if line is not None:
            console.print(line, markup=False)

    def ready(info: ProxyInfo | None) -> None:
        if info is None:
            return
        upstream = settings.upstream or "forward mode"
        sys.stdout.write(f"proxy listening: {info.url} -> {upstream}\n")
        if info.control_url:
            sys.stdout.write(f"control API: {info.control_url}/faults\n")
        sys.stdout.flush()

    async def serve() -> int:
        run = ProxyRun(settings, on_flow=show)
        run.on_ready(ready)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, run.stop)
        report = await run.run()
        report, counted = gate(
            report, baseline=args.baseline, write=args.write_baseline, fail_on="must"
        )
        render_all(report, out)
        console.print(f"{run.addon.flows} flows; report: {out}/report.json")
        return 1 if counted else 0

    return asyncio.run(serve())
