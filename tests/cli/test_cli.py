"""The command line as users and CI call it: real processes, real exit codes (CONTRACT §1)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.checks import ALL_CHECKS

HARNESS = [sys.executable, "-m", "harness"]
TIMEOUT_S = 120


def harness(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and program
        [*HARNESS, *args], capture_output=True, text=True, timeout=TIMEOUT_S, cwd=cwd, check=False
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def reference_with_defect() -> Iterator[str]:
    """`serve-reference --defect expired-accepted` as a user would start it; yields its MCP URL."""
    process = subprocess.Popen(  # noqa: S603
        [
            *HARNESS,
            "serve-reference",
            "--port",
            str(free_port()),
            "--defect",
            "query-token-accepted",
        ],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # the first line names the endpoint once it listens
        assert line.startswith("MCP endpoint:"), line
        yield line.split(":", 1)[1].strip()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_checks_lists_every_check() -> None:
    listed = harness("checks")
    assert listed.returncode == 0
    for check in ALL_CHECKS:
        assert check.id in listed.stdout


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["run", "--fail-on", "often"], "--fail-on"),
        (["run", "--spec", "2024-01-01"], "--spec"),
        (["run", "--config", "no-such-file.toml"], "no-such-file.toml"),
        (["frobnicate"], "frobnicate"),
    ],
)
def test_usage_errors_exit_2_and_name_the_flag(args: list[str], named: str) -> None:
    completed = harness(*args)
    assert completed.returncode == 2
    assert named in completed.stderr


def test_config_error_names_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "target.toml"
    config.write_text('[target]\nurll = "http://127.0.0.1:1/mcp"\n', encoding="utf-8")
    completed = harness("run", "--config", str(config), "--out", str(tmp_path / "out"))
    assert completed.returncode == 2
    assert "target.toml" in completed.stderr
    assert "[target].urll" in completed.stderr


def test_unreachable_target_exits_3(tmp_path: Path) -> None:
    target = f"http://127.0.0.1:{free_port()}/mcp"
    completed = harness("run", "--target", target, "--out", str(tmp_path), "-k", "disc")
    assert completed.returncode == 3, completed.stderr
    assert "unreachable" in completed.stderr


def test_defect_makes_run_exit_1(reference_with_defect: str, tmp_path: Path) -> None:
    completed = harness(
        "run", "--target", reference_with_defect, "--out", str(tmp_path), "-k", "rs.query-token"
    )
    assert completed.returncode == 1, completed.stderr
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    verdicts = {r["check"]: r["verdict"] for r in report["results"]}
    assert verdicts == {"rs.query-token": "fail"}
    for name in ("report.html", "report.md", "junit.xml"):
        assert (tmp_path / name).is_file()
    assert (
        harness(
            "run",
            "--target",
            reference_with_defect,
            "--out",
            str(tmp_path / "none"),
            "-k",
            "rs.query-token",
            "--fail-on",
            "none",
        ).returncode
        == 0
    )


def test_report_rerenders(tmp_path: Path, reference_with_defect: str) -> None:
    harness("run", "--target", reference_with_defect, "--out", str(tmp_path), "-k", "disc.prm")
    (tmp_path / "report.md").unlink()
    completed = harness("report", str(tmp_path / "report.json"))
    assert completed.returncode == 0
    assert (tmp_path / "report.md").is_file()
