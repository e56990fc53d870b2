"""A baseline round trip through the real CLI against real defective reference servers:
write it, fix a defect, add one, drop a check; known findings never fail the run, new ones do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from simulators.reference import Defect, ReferenceConfig, ReferenceServer

HARNESS = [sys.executable, "-m", "harness"]
CHECKS = "rs.query-token or rs.wrong-scheme or rs.origin"


def run(
    target: str, out: Path, *args: str, select: str = CHECKS
) -> subprocess.CompletedProcess[str]:
    command = [*HARNESS, "run", "--target", target, "--out", str(out), "-k", select, *args]
    return subprocess.run(  # noqa: S603 - our own interpreter and program
        command, capture_output=True, text=True, timeout=180, check=False
    )


def against(defects: set[str], out: Path, *args: str, select: str = CHECKS) -> tuple[int, dict]:
    config = ReferenceConfig(defects=frozenset(Defect(d) for d in defects))
    with ReferenceServer(config) as server:
        done = run(server.mcp_url, out, *args, select=select)
    assert (out / "report.json").exists(), done.stderr
    return done.returncode, json.loads((out / "report.json").read_text(encoding="utf-8"))


def names(entries: list[dict[str, object]]) -> set[object]:
    return {entry["check"] for entry in entries}


def test_baseline_round_trip(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    code, report = against(
        {"query-token-accepted", "any-scheme-accepted"},
        tmp_path / "write",
        "--write-baseline",
        str(baseline),
    )
    assert code == 0, "every finding of the run that writes the baseline is accepted"
    written = json.loads(baseline.read_text(encoding="utf-8"))
    assert names(written["findings"]) == {"rs.query-token", "rs.wrong-scheme"}
    assert "baseline" not in report

    # Without the baseline the same server fails the run.
    code, _ = against({"query-token-accepted", "any-scheme-accepted"}, tmp_path / "plain")
    assert code == 1

    # One defect fixed: the other is known, so the run passes, and the fixed one is listed.
    code, report = against(
        {"query-token-accepted"}, tmp_path / "fixed", "--baseline", str(baseline)
    )
    assert code == 0
    section = report["baseline"]
    assert names(section["known"]) == {"rs.query-token"}
    assert names(section["fixed"]) == {"rs.wrong-scheme"}
    assert section["new"] == []
    assert section["stale"] == []
    html = (tmp_path / "fixed" / "report.html").read_text(encoding="utf-8")
    fixed_part = html[html.index("Changes since the baseline") : html.index('id="findings"')]
    assert "Fixed since the baseline" in fixed_part
    assert "rs.wrong-scheme" in fixed_part
    assert "in the baseline</span>" in html

    # A new defect fails the run even with the baseline.
    code, report = against(
        {"query-token-accepted", "origin-not-validated"},
        tmp_path / "new",
        "--baseline",
        str(baseline),
    )
    assert code == 1
    assert names(report["baseline"]["new"]) == {"rs.origin"}

    # A check no longer run leaves its entry stale: it warns, it does not fail.
    done_dir = tmp_path / "stale"
    config = ReferenceConfig(defects=frozenset({Defect("query-token-accepted")}))
    with ReferenceServer(config) as server:
        done = run(server.mcp_url, done_dir, "--baseline", str(baseline), select="rs.query-token")
    assert done.returncode == 0, done.stderr
    assert "stale baseline entry" in done.stderr
    assert "rs.wrong-scheme" in done.stderr
    stale = json.loads((done_dir / "report.json").read_text(encoding="utf-8"))["baseline"]["stale"]
    assert names(stale) == {"rs.wrong-scheme"}


def test_report_command_applies_a_baseline(tmp_path: Path) -> None:
    config = ReferenceConfig(defects=frozenset({Defect("query-token-accepted")}))
    with ReferenceServer(config) as server:
        assert run(server.mcp_url, tmp_path / "run", select="rs.query-token").returncode == 1
    saved = tmp_path / "run" / "report.json"
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"schema": "mcp-auth-harness.baseline/1", "findings": []}))
    command = [*HARNESS, "report", str(saved), "--out", str(tmp_path / "a"), "--baseline"]
    new = subprocess.run([*command, str(empty)], capture_output=True, text=True, check=False)  # noqa: S603
    assert new.returncode == 1, "a finding the baseline does not list fails"
    assert "1 new" in new.stdout
    lenient = subprocess.run(  # noqa: S603
        [*command, str(empty), "--fail-on", "none"], capture_output=True, text=True, check=False
    )
    assert lenient.returncode == 0, "--fail-on none: new findings are listed, not fatal"
    written = tmp_path / "base.json"
    subprocess.run(  # noqa: S603
        [*HARNESS, "report", str(saved), "--out", str(tmp_path / "b")],
        capture_output=True,
        check=True,
    )
    from harness.baseline import write_baseline
    from harness.report import load_report

    write_baseline(load_report(saved), written)
    known = subprocess.run([*command, str(written)], capture_output=True, text=True, check=False)  # noqa: S603
    assert known.returncode == 0, known.stdout + known.stderr


def test_a_missing_baseline_is_a_usage_error_before_anything_runs(tmp_path: Path) -> None:
    done = run("http://127.0.0.1:9/mcp", tmp_path, "--baseline", str(tmp_path / "nope.json"))
    assert done.returncode == 2
    assert "--baseline" in done.stderr
    assert not (tmp_path / "report.json").exists()


def test_baseline_and_write_baseline_exclude_each_other(tmp_path: Path) -> None:
    done = run("http://127.0.0.1:9/mcp", tmp_path, "--baseline", "a", "--write-baseline", "b")
    assert done.returncode == 2
    assert "not allowed with argument" in done.stderr
