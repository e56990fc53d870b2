"""`mcp-auth-harness proxy`: mitmproxy in front of a real server (issue 9, being built)."""

from __future__ import annotations

import argparse
import sys


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    commands.add_parser("proxy", help="mitmproxy addon in front of a real server (not yet built)")


def main(args: argparse.Namespace) -> int:
    sys.stderr.write("mcp-auth-harness proxy: not available in this version\n")
    return 2
