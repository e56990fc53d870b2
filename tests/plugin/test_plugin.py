"""The pytest plugin, as users run it: `pytest scenarios/ --mcp-target URL --mcp-out DIR`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import scenarios
from simulators.reference import Defect, ReferenceConfig, ReferenceServer

pytest_plugins = ["pytester"]
SCENARIOS = Path(scenarios.__file__).parent


def run_scenarios(
    pytester: pytest.Pytester, target: str, out: Path, *args: str
) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        str(SCENARIOS),
        "-c",
        str(SCENARIOS / "pytest.ini"),
        "--rootdir",
        str(SCENARIOS),
        "--mcp-target",
        target,
        "--mcp-out",
        str(out),
        *args,
    )


def test_each_check_is_a_test_item_and_the_report_is_written(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    with ReferenceServer(
        ReferenceConfig(defects=frozenset({Defect.PRM_RESOURCE_MISMATCH}))
    ) as server:
        result = run_scenarios(pytester, server.mcp_url, tmp_path, "-k", "disc.prm")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*disc.prm.resource-match*"])
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert {r["check"]: r["verdict"] for r in report["results"]} == {
        "disc.prm.served": "pass",
        "disc.prm.resource-match": "fail",
        "disc.prm.authorization-servers": "pass",
        "disc.prm.scopes-minimal": "pass",
    }
    junit = (tmp_path / "junit.xml").read_text(encoding="utf-8")
    assert "disc.prm.resource-match" in junit


def test_no_target_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_needs_target="def test_it(mcp_session):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret != 0
    assert "no target" in result.stdout.str() + result.stderr.str()
