"""`mcp-auth-harness load`: locust on the auth paths (issue 11, being built)."""

from __future__ import annotations

import argparse
import sys


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    commands.add_parser("load", help="locust-driven load on the auth paths (not yet built)")


def main(args: argparse.Namespace) -> int:
    sys.stderr.write("mcp-auth-harness load: not available in this version\n")
    return 2
