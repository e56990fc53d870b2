"""Plain `locust` with the harness's users, without the harness driving: a vendor's own
locustfile in distributed mode, and the harness's locustfile under the web UI; without
harness-made material each process logs in itself from a plain subprocess (`--mcp-target`)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from harness.load.driver import LOCUSTFILE
from harness.load.material import RESULTS_ENV
from simulators.reference import ReferenceServer

VENDOR_LOCUSTFILE = """
from harness.load.users import InvalidTokenUser, McpUser  # noqa: F401
"""


def test_distributed_workers_log_in_themselves_and_report_to_the_master(tmp_path: Path) -> None:
    """README's distributed mode with a vendor's own locustfile importing the users: a master
    and two workers (local processes standing in for other machines) that get --mcp-target from
    the master; each worker logs in its own users, the master merges their tallies."""
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text(VENDOR_LOCUSTFILE)
    results = tmp_path / "merged.json"
    port = str(_free_port())
    base = [sys.executable, "-m", "locust", "-f", str(locustfile)]
    env = {**os.environ, RESULTS_ENV: str(results)}
    with ReferenceServer() as server:
        master = subprocess.Popen(  # noqa: S603
            [
                *base,
                *("--master", "--expect-workers", "2", "--headless", "-u", "6", "-r", "6"),
                *("-t", "14s", "--master-bind-host", "127.0.0.1", "--master-bind-port", port),
                *("--mcp-target", server.mcp_url, "--mcp-token-sets", "5", "--only-summary"),
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
    assert tally["endpoints"]["mcp: invalid token (garbage)"]["failures"] == 0
    assert tally["outcomes"]["processes"] == 2  # both workers ran users
    assert "eyJ" not in stderr  # no token in locust's output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_harness_locustfile_under_the_web_ui(tmp_path: Path) -> None:
    """`locust -f harness/load/locustfile.py --mcp-target URL` with the web UI: start a swarm
    through the UI's own endpoint and read the stable request names back from its stats."""
    port = _free_port()
    ui = f"http://127.0.0.1:{port}"
    with ReferenceServer() as server:
        command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--web-host"]
        command += ["127.0.0.1", "--web-port", str(port), "--mcp-target", server.mcp_url]
        command += ["--mcp-token-sets", "3"]
        env = {**os.environ, "MCP_LOAD_MIX": "mcp=1,invalid=1"}
        process = subprocess.Popen(  # noqa: S603
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        try:
            assert process.stderr is not None
            for line in process.stderr:  # the UI announces itself once it listens
                if "Starting web interface" in line:
                    break
            form = urllib.parse.urlencode({"user_count": "2", "spawn_rate": "2"}).encode()
            assert json.loads(_fetch(f"{ui}/swarm", form))["success"] is True
            names: set[str] = set()
            deadline = time.monotonic() + 20
            while "mcp: tools/list" not in names and time.monotonic() < deadline:
                names = {s["name"] for s in json.loads(_fetch(f"{ui}/stats/requests"))["stats"]}
        finally:
            process.terminate()
            process.wait(timeout=15)
            if process.stderr is not None:
                process.stderr.close()
    assert "mcp: tools/list" in names


def _fetch(url: str, data: bytes | None = None) -> bytes:
    """GET (or POST `data`) once the UI listens: locust logs its start before it binds, and
    signals nothing after, so refused connections are retried, paced, for a bounded time."""
    deadline = time.monotonic() + 20
    pace = threading.Event()
    while True:
        try:
            with urllib.request.urlopen(url, data=data, timeout=10) as answer:  # noqa: S310
                body: bytes = answer.read()
                return body
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            pace.wait(0.05)
