"""report.sarif validates against the SARIF 2.1.0 schema and says what the report says."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import jsonschema

from harness.checks import ALL_CHECKS
from harness.report import render_sarif
from harness.results import Level, Report, Result, Severity, Verdict
from tests.unit.report.conftest import make_report

SCHEMA = json.loads(
    (Path(__file__).parent / "schemas" / "sarif-2.1.0-rtm.5.json").read_text(encoding="utf-8")
)


def validate(text: str) -> dict[str, Any]:
    log = json.loads(text)
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    errors = sorted(jsonschema.Draft4Validator(SCHEMA).iter_errors(log), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
    assert isinstance(log, dict)
    return log


def test_sample_report_is_valid_sarif_with_levels_and_the_target() -> None:
    report = make_report()
    log = validate(render_sarif(report))
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules[: len(ALL_CHECKS)]] == [c.id for c in ALL_CHECKS]
    assert run["artifacts"][0]["location"]["uri"] == report.target_url
    listed = {(r["ruleId"], r["properties"].get("profile")): r for r in run["results"]}
    assert set(listed) == {
        ("rs.expired", None),
        ("token.no-store", None),
        ("authz.iss", None),
        ("scenario.expiry-mid-run", "claude-ai"),
    }, "fail, warn and error are listed; pass and skip are only counted"
    assert (listed["rs.expired", None]["kind"], listed["rs.expired", None]["level"]) == (
        "fail",
        "error",
    )
    assert listed["token.no-store", None]["level"] == "warning"
    assert (listed["authz.iss", None]["kind"], listed["authz.iss", None]["level"]) == (
        "open",
        "none",
    )
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["index"] == 0
    expired = listed["rs.expired", None]
    assert expired["message"]["text"] == "expired token was accepted (200)"
    assert expired["properties"]["reproduce"].startswith("curl ")
    assert "\x1b" not in json.dumps(log), "control characters are shown, not passed on"
    assert run["properties"]["summary"] == report.summary()
    rule = rules[[r["id"] for r in rules].index("rs.expired")]
    assert rule["defaultConfiguration"]["level"] == "error"
    assert rule["helpUri"].startswith("https://")


def test_ids_outside_the_catalogue_get_rules_of_their_own() -> None:
    fuzz = Result(
        check="fuzz.authorize.no-unregistered-redirect",
        title="No redirect to an unregistered URI",
        level=Level.MUST,
        severity=Severity.CRITICAL,
        verdict=Verdict.FAIL,
        message="redirected to http://evil.example/cb",
        spec_refs=("OAuth 2.1 §7.5.3",),
    )
    report: Report = dataclasses.replace(make_report(), results=(fuzz,))
    (run,) = validate(render_sarif(report))["runs"]
    rule = run["tool"]["driver"]["rules"][run["results"][0]["ruleIndex"]]
    assert rule["id"] == fuzz.check
    assert rule["properties"]["security-severity"] == "9.5"
    assert (
        rule["helpUri"]
        == "https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1#section-7.5.3"
    )


def test_fingerprints_tell_profiles_apart_and_stay_stable() -> None:
    first = json.loads(render_sarif(make_report()))["runs"][0]["results"]
    again = json.loads(render_sarif(make_report()))["runs"][0]["results"]
    prints = [r["partialFingerprints"]["mcpAuthHarness/v1"] for r in first]
    assert prints == [r["partialFingerprints"]["mcpAuthHarness/v1"] for r in again]
    assert len(set(prints)) == len(prints)


def test_the_schema_check_can_fail() -> None:
    log = json.loads(render_sarif(make_report()))
    log["runs"][0]["results"][0]["level"] = "severe"
    errors = list(jsonschema.Draft4Validator(SCHEMA).iter_errors(log))
    assert any("severe" in e.message for e in errors)
