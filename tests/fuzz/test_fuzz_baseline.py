"""`fuzz --write-baseline / --baseline / --fail-on` end to end through the CLI against real
reference servers: an accepted finding no longer fails the run, and once the server is fixed the
baseline entry is listed as fixed (harness.baseline)."""

from __future__ import annotations

import json
from pathlib import Path

from harness.cli import main
from simulators.reference import ReferenceConfig, ReferenceServer, parse_defects

CHECK = "fuzz.bearer.bearer-refused"
BOUNDS = ["--area", "bearer", "--max-examples", "100", "--seed", "11", "--time-budget", "30"]


def _fuzz(url: str, extra: list[str], out: Path) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main(["fuzz", "--target", url, *BOUNDS, *extra, "--out", str(out)])
    return code, json.loads((out / "report.json").read_text())


def test_fuzz_baseline_accepts_known_findings_and_lists_fixed_ones(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    config = ReferenceConfig(defects=parse_defects(["signature-not-checked"]))
    with ReferenceServer(config) as server:
        code, written = _fuzz(server.mcp_url, ["--write-baseline", str(baseline)], tmp_path / "w")
        assert code == 0  # the findings just written are accepted ones
        assert {r["check"]: r["verdict"] for r in written["results"]}[CHECK] == "fail"
        assert CHECK in baseline.read_text()
        code, known = _fuzz(server.mcp_url, ["--baseline", str(baseline)], tmp_path / "k")
        assert code == 0
        section = known["baseline"]
        assert CHECK in {e["check"] for e in section["known"]}
        assert not section["new"]
        # without a baseline the same finding fails the run, unless --fail-on none
        code, _ = _fuzz(server.mcp_url, [], tmp_path / "plain")
        assert code == 1
        code, _ = _fuzz(server.mcp_url, ["--fail-on", "none"], tmp_path / "none")
        assert code == 0
    with ReferenceServer(ReferenceConfig()) as correct:
        code, fixed = _fuzz(correct.mcp_url, ["--baseline", str(baseline)], tmp_path / "f")
    assert code == 0
    section = fixed["baseline"]
    assert CHECK in {e["check"] for e in section["fixed"]}
    assert not section["known"]
    assert not section["new"]
    assert {r["check"]: r["verdict"] for r in fixed["results"]}[CHECK] == "pass"
