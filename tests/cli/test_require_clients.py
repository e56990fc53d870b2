"""`--require-clients` end to end: the real command line against the embedded reference, where
`claude-code` is `degraded` (it re-presents a rotated refresh token) and `chatgpt` `works`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.cli.test_cli import HARNESS, TIMEOUT_S

PROFILES = ("--profile", "chatgpt", "--profile", "claude-code", "-k", "scenario")


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the harness itself, fixed arguments
        [*HARNESS, "run", "--out", str(tmp_path / "out"), *PROFILES, *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


@pytest.mark.parametrize(
    ("required", "code", "says"),
    [
        ("chatgpt", 0, ""),
        ("claude-code:degraded,chatgpt", 0, ""),
        ("claude-code", 1, "claude-code is degraded, required works"),
    ],
)
def test_require_clients_gates_on_compatibility(
    tmp_path: Path, required: str, code: int, says: str
) -> None:
    done = _run(tmp_path, "--require-clients", required)
    assert done.returncode == code, done.stderr[-2000:]
    assert says in done.stderr


@pytest.mark.parametrize(
    ("required", "says"),
    [
        ("cursor", "'cursor' is not simulated in this run"),
        ("chatgpt:broken", "the only qualifier is ':degraded'"),
        (",", "name at least one client profile"),
    ],
)
def test_require_clients_bad_values_are_usage_errors(
    tmp_path: Path, required: str, says: str
) -> None:
    done = _run(tmp_path, "--require-clients", required)
    assert done.returncode == 2
    assert "--require-clients" in done.stderr
    assert says in done.stderr
    assert not (tmp_path / "out").exists()  # refused before anything ran
