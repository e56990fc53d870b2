"""`report` re-renders a saved run byte for byte, in every format or the chosen ones."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema

from simulators.reference import Defect, ReferenceConfig, ReferenceServer
from tests.report.test_sarif import SCHEMA

HARNESS = [sys.executable, "-m", "harness"]
FILES = {"report.json", "report.html", "report.md", "junit.xml", "report.sarif"}


def harness(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and program
        [*HARNESS, *args], capture_output=True, text=True, timeout=180, check=False
    )


def test_run_then_report_gives_identical_files(tmp_path: Path) -> None:
    config = ReferenceConfig(defects=frozenset({Defect("query-token-accepted")}))
    with ReferenceServer(config) as server:
        done = harness(
            "run",
            "--target",
            server.mcp_url,
            "--out",
            str(tmp_path / "run"),
            "-k",
            "disc or rs.query-token or rs.every-request",
        )
    assert done.returncode == 1, done.stderr
    run = tmp_path / "run"
    assert {p.name for p in run.iterdir()} == FILES
    again = harness("report", str(run / "report.json"), "--out", str(tmp_path / "again"))
    assert again.returncode == 0, again.stderr
    for name in FILES:
        assert (run / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name
    report = json.loads((run / "report.json").read_text(encoding="utf-8"))
    assert report["target"]["spec_revision"] == "2025-11-25"
    sarif = json.loads((run / "report.sarif").read_text(encoding="utf-8"))
    assert not list(jsonschema.Draft4Validator(SCHEMA).iter_errors(sarif))
    assert "rs.query-token" in {r["ruleId"] for r in sarif["runs"][0]["results"]}

    chosen = harness(
        "report", str(run / "report.json"), "--out", str(tmp_path / "some"), "--format", "sarif,md"
    )
    assert chosen.returncode == 0, chosen.stderr
    assert {p.name for p in (tmp_path / "some").iterdir()} == {
        "report.json",
        "report.sarif",
        "report.md",
    }


def test_an_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    done = harness("report", str(tmp_path / "report.json"), "--format", "html,pdf")
    assert done.returncode == 2
    assert "--format" in done.stderr
    assert "pdf" in done.stderr
