"""A vendor's own locustfile importing the harness's users runs under plain `locust`
(headless here; the web UI is the same process without --headless): without harness-made
material it logs in itself from a plain subprocess (`--mcp-target`)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from harness.load.driver import LOCUSTFILE
from harness.load.material import RESULTS_ENV
from simulators.reference import ReferenceServer

VENDOR_LOCUSTFILE = """
from harness.load.users import InvalidTokenUser, McpUser  # noqa: F401
"""


def test_vendor_locustfile_with_mcp_target(tmp_path: Path) -> None:
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text(VENDOR_LOCUSTFILE)
    results = tmp_path / "results.json"
    env = {**os.environ, RESULTS_ENV: str(results)}
    with ReferenceServer() as server:
        command = [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless"]
        command += ["-u", "4", "-r", "4", "-t", "3s", "--only-summary"]
        command += ["--mcp-target", server.mcp_url, "--mcp-token-sets", "4"]
        done = subprocess.run(  # noqa: S603
            command, env=env, capture_output=True, text=True, timeout=60, check=False
        )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "mcp: tools/list" in done.stdout + done.stderr  # locust's own summary table
    tally = json.loads(results.read_text())
    assert tally["endpoints"]["mcp: tools/list"]["count"] > 0
    assert tally["endpoints"]["mcp: tools/list"]["failures"] == 0
    assert tally["endpoints"]["mcp: invalid token (garbage)"]["failures"] == 0
    assert "eyJ" not in done.stdout + done.stderr  # no token in locust's output


def test_distributed_workers_log_in_themselves_and_report_to_the_master(tmp_path: Path) -> None:
    """README's distributed mode: a master and two workers (here local processes standing in
    for other machines); each worker logs in its own users, the master merges their tallies."""
    results = tmp_path / "merged.json"
    port = str(_free_port())
    base = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE)]
    env = {**os.environ, RESULTS_ENV: str(results), "MCP_LOAD_MIX": "mcp=3,invalid=1"}
    with ReferenceServer() as server:
        master = subprocess.Popen(  # noqa: S603
            [
                *base,
                *("--master", "--expect-workers", "2", "--headless", "-u", "6", "-r", "6"),
                *("-t", "10s", "--master-bind-host", "127.0.0.1", "--master-bind-port", port),
                "--only-summary",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        workers = [
            subprocess.Popen(  # noqa: S603
                [
                    *base,
                    *("--worker", "--master-host", "127.0.0.1", "--master-port", port),
                    *("--mcp-target", server.mcp_url, "--mcp-token-sets", "5"),
                ],
                env={**env, RESULTS_ENV: ""},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(2)
        ]
        try:
            _, stderr = master.communicate(timeout=90)
            for worker in workers:
                worker.wait(timeout=30)
        finally:
            for process in (master, *workers):
                if process.poll() is None:
                    process.kill()
                    process.wait()
    assert results.exists(), stderr[-2000:]
    tally = json.loads(results.read_text())
    tools = tally["endpoints"]["mcp: tools/list"]
    assert tools["count"] > 0
    assert tools["failures"] == 0
    assert "eyJ" not in stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
