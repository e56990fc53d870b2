"""A HarnessError that escapes a command is exit 3 with its message, never a traceback."""

from __future__ import annotations

import argparse

import pytest

from harness import cli
from harness.errors import TargetError
from harness.proxy import command as proxy_command


def test_a_harness_error_from_a_command_is_exit_3_with_its_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def unreachable(args: argparse.Namespace) -> int:
        raise TargetError("upstream http://127.0.0.1:9/ refused the connection")

    monkeypatch.setattr(proxy_command, "main", unreachable)
    code = cli.main(["proxy", "--upstream", "http://127.0.0.1:9/"])
    assert code == cli.EXIT_HARNESS
    err = capsys.readouterr().err
    assert "mcp-auth-harness proxy: upstream http://127.0.0.1:9/ refused the connection" in err
    assert "Traceback" not in err
