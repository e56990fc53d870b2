"""The profiles against the official MCP conformance suite (client mode, `--suite auth`).

`spec-2025-11-25` must pass every auth scenario; each quirk profile must fail exactly the
scenarios its file predicts (`[conformance].fails`). Needs the tools `setup.sh` installs (Node 22
and @modelcontextprotocol/conformance 0.1.16); without them the tests skip and say so.
By default the baseline and three quirk profiles run; MCP_CONFORMANCE_PROFILES=all runs them all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from harness.profiles.catalogue import load_profiles

HERE = Path(__file__).parent
TOOLS = Path(os.environ.get("MCP_CONFORMANCE_TOOLS", HERE / ".tools"))
NODE = TOOLS / "node_modules" / ".bin" / "node"
SUITE = TOOLS / "node_modules" / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
DEFAULT_PROFILES = ("spec-2025-11-25", "codex", "cursor")
SUITE_TIMEOUT_S = 240
PROFILES = load_profiles()

pytestmark = pytest.mark.slow


def _chosen() -> list[str]:
    wanted = os.environ.get("MCP_CONFORMANCE_PROFILES", "")
    if wanted == "all":
        return list(PROFILES)
    return [n for n in (wanted.split(",") if wanted else DEFAULT_PROFILES) if n in PROFILES]


def run_suite(profile: str, out: Path) -> Results:
    """Run `conformance client --suite auth` with this profile; the checks per scenario."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    command = f"mcp-auth-harness simulate-client --profile {profile}"
    done = subprocess.run(  # noqa: S603 - our own tools, fixed arguments
        [str(NODE), str(SUITE), "client", "--command", command, "--suite", "auth", "-o", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=SUITE_TIMEOUT_S,
        check=False,
    )
    results: Results = {}
    for checks in sorted(out.glob("auth/*/checks.json")):
        scenario = "auth/" + checks.parent.name.split("-20", 1)[0]
        results[scenario] = json.loads(checks.read_text(encoding="utf-8"))
    assert results, f"the suite produced no results:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return results


Results = dict[str, list[dict[str, object]]]
INSTALLED = NODE.exists() and SUITE.exists()


@pytest.fixture(scope="module")
def suites() -> dict[str, Results]:
    """Every chosen profile through the suite, one after the other (each run already starts its
    scenarios' clients in parallel, which keeps both cores busy)."""
    with tempfile.TemporaryDirectory(prefix="mcp-conformance-") as out:
        return {name: run_suite(name, Path(out) / name) for name in _chosen()}


def failed(checks: list[dict[str, object]]) -> bool:
    return any(check.get("status") in {"FAILURE", "WARNING"} for check in checks)


@pytest.mark.skipif(
    not INSTALLED,
    reason=f"the conformance suite is not installed in {TOOLS}: run tests/conformance/setup.sh",
)
@pytest.mark.parametrize("name", _chosen())
def test_profile_against_the_auth_suite(suites: dict[str, Results], name: str) -> None:
    results = suites[name]
    observed = {scenario for scenario, checks in results.items() if failed(checks)}
    predicted = set(PROFILES[name].conformance.fails)
    details = {
        scenario: [
            f"{c.get('id')}: {c.get('status')} {c.get('errorMessage') or ''}".strip()
            for c in results[scenario]
            if c.get("status") in {"FAILURE", "WARNING"}
        ]
        for scenario in sorted(observed ^ predicted)
        if scenario in results
    }
    assert observed == predicted, f"unexpected: {sorted(observed - predicted)}, " + (
        f"missing: {sorted(predicted - observed)}; {details}"
    )
    if not predicted:
        assert len(results) == 14, sorted(results)
