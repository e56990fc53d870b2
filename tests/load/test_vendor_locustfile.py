"""A vendor's own locustfile importing the harness's users runs under plain `locust`
(headless here; the web UI is the same process without --headless): without harness-made
material it logs in itself from a plain subprocess (`--mcp-target`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
