"""`mcp-auth-harness fuzz` end to end against the real reference: report.json carries the seed,
the settings, the fuzz.* results and each failure's shrunk input and redacted curl chain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main
from harness.fuzz.context import DEFAULT_MAX_REGISTRATIONS
from simulators.reference import ReferenceConfig, ReferenceServer, parse_defects


def test_fuzz_finds_a_defect_and_writes_the_report(tmp_path: Path) -> None:
    config = ReferenceConfig(defects=parse_defects(["signature-not-checked"]))
    with ReferenceServer(config) as server:
        argv = [
            "fuzz",
            "--target",
            server.mcp_url,
            "--area",
            "bearer",
            "--max-examples",
            "100",
            "--seed",
            "11",
            "--time-budget",
            "30",
            "--out",
            str(tmp_path),
        ]
        assert main(argv) == 1
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["seed"] == 11
    assert report["fuzz"]["settings"]["max_examples"] == 100
    failure = next(f for f in report["fuzz"]["failures"] if f["property"] == "bearer-refused")
    assert failure["seed"] == 11
    assert failure["curl"][0].startswith("curl ")
    assert "$TOKEN" in failure["curl"][0]
    verdicts = {r["check"]: r["verdict"] for r in report["results"]}
    assert verdicts["fuzz.bearer.bearer-refused"] == "fail"


def test_fuzz_embedded_reference_is_clean(tmp_path: Path) -> None:
    argv = [
        "fuzz",
        "--area",
        "register",
        "--max-examples",
        "30",
        "--seed",
        "2",
        "--out",
        str(tmp_path),
    ]
    assert main(argv) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["summary"]["fail"] == 0
    assert report["summary"]["pass"] > 0


def test_fuzz_unknown_area_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["fuzz", "--area", "nope", "--out", str(tmp_path)]) == 2


@pytest.mark.parametrize("flag", ["--max-examples", "--time-budget"])
def test_fuzz_non_positive_bounds_are_usage_errors(flag: str, tmp_path: Path) -> None:
    assert main(["fuzz", flag, "0", "--out", str(tmp_path)]) == 2


@pytest.mark.parametrize("intrusive", [False, True])
def test_intrusive_lifts_the_registration_cap(tmp_path: Path, intrusive: bool) -> None:
    """Without --intrusive the clients created on the target stay within the cap (plus the
    shared client); with it the register area also sends bodies a server accepts."""
    with ReferenceServer(ReferenceConfig()) as server:
        before = len(server.state.oauth.clients)
        argv = ["fuzz", "--target", server.mcp_url, "--area", "register"]
        argv += ["--max-examples", "60", "--seed", "3", "--out", str(tmp_path)]
        assert main([*argv, "--intrusive"] if intrusive else argv) == 0
        created = len(server.state.oauth.clients) - before
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["fuzz"]["settings"]["intrusive"] is intrusive
    bound = 1 + DEFAULT_MAX_REGISTRATIONS
    assert created > bound if intrusive else 0 < created <= bound, created
