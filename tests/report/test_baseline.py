"""harness.baseline over reports in memory: what is known, new, fixed and stale, and bad files."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from harness.baseline import apply_baseline, gate, load_baseline, write_baseline
from harness.errors import ConfigError
from harness.results import Report, Verdict
from tests.unit.report.conftest import make_report


def _with(report: Report, check: str, verdict: Verdict, profile: str | None = None) -> Report:
    results = tuple(
        dataclasses.replace(r, verdict=verdict) if (r.check, r.profile) == (check, profile) else r
        for r in report.results
    )
    return dataclasses.replace(report, results=results)


def test_known_new_fixed_and_stale(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    written = write_baseline(make_report(), path)
    assert {e.name for e in written} == {
        "rs.expired",
        "token.no-store",
        "scenario.expiry-mid-run [claude-ai]",
    }, "fail and warn findings, by check and profile; errors and skips are not findings"
    later = _with(make_report(), "rs.expired", Verdict.PASS)
    later = _with(later, "token.no-store", Verdict.SKIP)
    later = _with(later, "refresh.rotation", Verdict.FAIL)
    report, new, fixed, stale = apply_baseline(later, path)
    assert [r.check for r in new] == ["refresh.rotation"]
    assert [e.check for e in fixed] == ["rs.expired"]
    assert [e.check for e in stale] == ["token.no-store"]
    section = report.extra["baseline"]
    assert isinstance(section, dict)
    assert [e["check"] for e in section["known"]] == ["scenario.expiry-mid-run"]
    assert section["stale"][0]["reason"] == "skip in this run, so not judged again"
    assert report.results == later.results, "verdicts stay as judged"


def test_gate_counts_only_new_findings_at_fail_on(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    report, counted = gate(make_report(), baseline=None, write=str(path), fail_on="must")
    assert counted == []
    assert "baseline" not in report.extra
    newer = _with(make_report(), "refresh.rotation", Verdict.WARN)
    _, counted = gate(newer, baseline=str(path), write=None, fail_on="must")
    assert counted == [], "a new warning does not fail at --fail-on must"
    _, counted = gate(newer, baseline=str(path), write=None, fail_on="should")
    assert [r.check for r in counted] == ["refresh.rotation"]
    _, counted = gate(make_report(), baseline=None, write=None, fail_on="must")
    assert {r.check for r in counted} == {"rs.expired", "scenario.expiry-mid-run"}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "does not exist; create one with --write-baseline"),
        ("{nope", "is not a readable JSON file"),
        (json.dumps({"schema": "other/1"}), "is not a mcp-auth-harness.baseline/1 document"),
        (json.dumps({"schema": "mcp-auth-harness.baseline/1"}), "`findings` must be a list"),
        (
            json.dumps({"schema": "mcp-auth-harness.baseline/1", "findings": [{"check": 3}]}),
            r"findings\[0\]\.check must be a check id",
        ),
    ],
)
def test_a_bad_baseline_is_a_configuration_error(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    path = tmp_path / "baseline.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"--baseline .*" + expected):
        load_baseline(path)
