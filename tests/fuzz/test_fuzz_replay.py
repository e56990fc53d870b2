"""`fuzz --replay` end to end against real reference servers: failures found and saved in
report.json are replayed with fresh codes and tokens, still failing on the defective server and
fixed (after three clean replays) on the correct one; state failures replay their saved rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main
from harness.fuzz.replay import CLEAN_REPLAYS
from simulators.reference import ReferenceConfig, ReferenceServer, parse_defects

CASES = [
    ("token", "pkce-verifier-not-checked", "no-token-for-invalid", "20"),
    ("authorize", "redirect-prefix-match", "redirect-registered-only", "60"),
    ("state", "code-not-bound-to-client", "client-binding", "40"),
]


def _fuzz(argv: list[str], out: Path) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main(["fuzz", *argv, "--out", str(out)])
    return code, json.loads((out / "report.json").read_text())


@pytest.mark.parametrize(("area", "defect", "prop", "examples"), CASES)
def test_replay_is_failing_on_the_defect_and_fixed_without_it(
    tmp_path: Path, area: str, defect: str, prop: str, examples: str
) -> None:
    check = f"fuzz.{area}.{prop}"
    with ReferenceServer(ReferenceConfig(defects=parse_defects([defect]))) as server:
        argv = ["--target", server.mcp_url, "--area", area, "--max-examples", examples]
        code, found = _fuzz([*argv, "--seed", "3", "--time-budget", "30"], tmp_path / "found")
        assert code == 1
        saved = tmp_path / "found" / "report.json"
        assert any(f["property"] == prop for f in found["fuzz"]["failures"])
        # the defective server again: fresh values, still failing, with a new curl chain
        code, again = _fuzz(["--target", server.mcp_url, "--replay", str(saved)], tmp_path / "a")
    assert code == 1
    replays = [r for r in again["fuzz"]["replay"] if r["property"] == prop]
    assert replays
    assert all(r["status"] == "failing" for r in replays), replays
    assert replays[0]["curl"]
    old = {c for f in found["fuzz"]["failures"] for c in f["curl"]}
    assert not old & set(replays[0]["curl"])  # nothing stale was replayed
    verdicts = {r["check"]: r["verdict"] for r in again["results"]}
    assert verdicts[check] == "fail"
    with ReferenceServer(ReferenceConfig()) as correct:
        argv = ["--target", correct.mcp_url, "--replay", str(saved)]
        code, fixed = _fuzz(argv, tmp_path / "fixed")
    assert code == 0, fixed["fuzz"]["replay"]
    for item in fixed["fuzz"]["replay"]:
        assert item["status"] == "fixed", item
        assert [r["outcome"] for r in item["replays"]] == ["clean"] * CLEAN_REPLAYS
    assert {r["check"]: r["verdict"] for r in fixed["results"]}[check] == "pass"
    assert fixed["fuzz"]["settings"]["clean_replays"] == CLEAN_REPLAYS


def test_replay_of_a_file_without_failures_is_a_usage_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text('{"results": []}')
    assert main(["fuzz", "--replay", str(empty), "--out", str(tmp_path / "out")]) == 2


def test_replay_with_a_step_it_could_not_carry_out_is_inconclusive(tmp_path: Path) -> None:
    """The property is judged by the first steps, but the last saved step's precondition does not
    hold on this run: the failing sequence was not replayed, so nothing may be called fixed."""
    steps = [
        {"rule": "authorize", "args": {"who": 0}},
        {"rule": "redeem_as_other_client", "args": {"i": 0}},
        {"rule": "reuse_rotated_refresh", "args": {"i": 0}},  # nothing was ever refreshed
    ]
    failure = {"area": "state", "property": "client-binding", "input": {"steps": steps}}
    saved = tmp_path / "saved.json"
    saved.write_text(json.dumps({"failures": [failure]}))
    with ReferenceServer(ReferenceConfig()) as correct:
        argv = ["--target", correct.mcp_url, "--replay", str(saved)]
        code, report = _fuzz(argv, tmp_path / "out")
    assert code == 0
    (item,) = report["fuzz"]["replay"]
    assert item["status"] == "inconclusive", item
    assert item["replays"][-1]["outcome"] == "not exercised"
    assert "reuse_rotated_refresh" in item["replays"][-1]["message"]
    verdict = {r["check"]: r["verdict"] for r in report["results"]}["fuzz.state.client-binding"]
    assert verdict == "skip"
