"""`--require-clients` end to end: the real command line against the embedded reference, where
`claude-code` is `degraded` (it re-presents a rotated refresh token) and `chatgpt` `works`."""

from __future__ import annotations

import json
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


def test_a_compatibility_warning_passes_the_default_gate_but_not_a_required_client(
    tmp_path: Path,
) -> None:
    # a spec-correct server without CORS headers: the MCP Inspector (a browser client) is
    # broken, a `warn` with attribution `interop`; the default run exits 0, requiring it exits 1
    from simulators.reference import Defect, ReferenceConfig, ReferenceServer

    args = ("--profile", "mcp-inspector", "-k", "scenario")
    gate = ("--require-clients", "mcp-inspector")
    with ReferenceServer(ReferenceConfig(defects=frozenset({Defect.NO_CORS}))) as server:
        target = ("--target", server.mcp_url)
        default = subprocess.run(  # noqa: S603 - the harness itself, fixed arguments
            [*HARNESS, "run", "--out", str(tmp_path / "default"), *target, *args],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
        gated = subprocess.run(  # noqa: S603 - the harness itself, fixed arguments
            [*HARNESS, "run", "--out", str(tmp_path / "gated"), *target, *args, *gate],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    assert default.returncode == 0, default.stderr[-2000:]
    report = json.loads((tmp_path / "default" / "report.json").read_text(encoding="utf-8"))
    happy = next(r for r in report["results"] if r["check"] == "scenario.happy-path")
    assert happy["verdict"] == "warn"
    assert "attribution: interop" in happy["message"]
    entry = next(e for e in report["compatibility"] if e["profile"] == "mcp-inspector")
    assert entry["verdict"] == "broken"
    assert entry["reasons"][0]["attribution"] == "interop"
    assert gated.returncode == 1, gated.stderr[-2000:]
    assert "mcp-inspector is broken, required works" in gated.stderr
