"""`python -m simulators.reference`: serve the reference target until Ctrl-C or SIGTERM.

This is what `mcp-auth-harness serve-reference` runs. Exit codes: 0 stopped, 2 bad options,
3 could not listen.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from simulators.reference.config import USERS, ReferenceConfig
from simulators.reference.defects import Defect, parse_defects
from simulators.reference.server import ReferenceServer, serve_forever


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mcp-auth-harness serve-reference",
        description="Serve the reference MCP server and OAuth authorization server on loopback. "
        "Users: " + ", ".join(f"{u} (password {p})" for u, p in USERS.items()) + ".",
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    add("--port", type=int, default=0, help="port of the MCP server (default: a free port)")
    add(
        "--defect",
        action="append",
        default=[],
        metavar="NAME",
        help="inject a defect; repeat or separate with commas (see --list-defects)",
    )
    add("--list-defects", action="store_true", help="list the defects and exit")
    add("--login", choices=("auto", "form"), default="auto", help="auto-login alice, or HTML forms")
    add("--issuer-path", default="", metavar="PATH", help="issuer path, e.g. /tenant1")
    add("--separate-as", action="store_true", help="serve the AS on its own port")
    add("--oidc-only", action="store_true", help="publish only OpenID discovery metadata")
    add("--no-dcr", action="store_true", help="offer no dynamic client registration")
    add("--no-cimd", action="store_true", help="do not accept client metadata document URLs")
    add("--token-format", choices=("jwt", "opaque"), default="jwt")
    add("--sse", action="store_true", help="answer MCP POSTs as text/event-stream")
    add("--mcp-path", default="/mcp", metavar="PATH")
    add("--access-token-ttl", type=int, default=3600, metavar="SECONDS")
    add("--refresh-token-ttl", type=int, default=86400, metavar="SECONDS")
    add("--register-rate-limit", type=int, metavar="N", help="N registrations an hour, then 429")
    add("--token-rate-limit", type=int, metavar="N", help="N token requests per 15 min, then 429")
    return parser


def _config(args: argparse.Namespace) -> ReferenceConfig:
    names = [name for value in args.defect for name in value.split(",") if name.strip()]
    return ReferenceConfig(
        defects=parse_defects(names),
        access_token_ttl=args.access_token_ttl,
        refresh_token_ttl=args.refresh_token_ttl,
        login=args.login,
        issuer_path=args.issuer_path,
        separate_as=args.separate_as,
        oidc_only=args.oidc_only,
        token_format=args.token_format,
        sse_responses=args.sse,
        mcp_path=args.mcp_path,
        dynamic_client_registration=not args.no_dcr,
        client_id_metadata_documents=not args.no_cimd,
        register_rate_limit=args.register_rate_limit,
        token_rate_limit=args.token_rate_limit,
    )


def _announce(server: ReferenceServer) -> None:
    defects = ", ".join(sorted(server.config.defects)) or "none (correct server)"
    sys.stdout.write(
        f"MCP endpoint:        {server.mcp_url}\n"
        f"second MCP resource: {server.other_mcp_url}\n"
        f"issuer:              {server.issuer}\n"
        f"defects:             {defects}\n"
        "Press Ctrl-C to stop.\n"
    )
    sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--"]:  # `serve-reference -- --defect x` passes the separator through
        argv = argv[1:]
    args = parser.parse_args(argv)
    if args.list_defects:
        width = max(len(d.value) for d in Defect)
        sys.stdout.write("".join(f"{d.value:<{width}}  {d.description}\n" for d in Defect))
        return 0
    try:
        config = _config(args)
    except ValueError as exc:
        parser.error(str(exc))  # exits with status 2
    try:
        serve_forever(config, args.host, args.port, on_ready=_announce)
    except ValueError as exc:
        parser.error(str(exc))
    except OSError as exc:
        sys.stderr.write(f"Could not listen on {args.host}:{args.port}: {exc.strerror or exc}.\n")
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
