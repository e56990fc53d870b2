from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from collections.abc import Callable

from harness.report import render_junit
from harness.results import Report


def _suite(report: Report) -> ET.Element:
    root = ET.fromstring(render_junit(report))  # noqa: S314 - our own rendering
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    assert suites[0].get("name") == "mcp-auth-harness"
    return suites[0]


def _case(suite: ET.Element, classname: str, name: str) -> ET.Element:
    matches = [
        case
        for case in suite.iter("testcase")
        if case.get("classname") == classname and case.get("name") == name
    ]
    assert len(matches) == 1, (classname, name)
    return matches[0]


def _properties(case: ET.Element) -> list[tuple[str | None, str | None]]:
    return [(p.get("name"), p.get("value")) for p in case.iterfind("properties/property")]


def test_junit_snapshot(sample_report: Report, assert_snapshot: Callable[[str, str], None]) -> None:
    assert_snapshot("junit.xml", render_junit(sample_report))


def test_counts_parse_back_and_match_the_cases(sample_report: Report) -> None:
    suite = _suite(sample_report)
    cases = suite.findall("testcase")
    assert suite.get("tests") == "8" == str(len(cases))
    assert (
        suite.get("failures") == "3" == str(sum(1 for c in cases if c.find("failure") is not None))
    )
    assert suite.get("errors") == "1" == str(sum(1 for c in cases if c.find("error") is not None))
    assert (
        suite.get("skipped") == "1" == str(sum(1 for c in cases if c.find("skipped") is not None))
    )


def test_classnames_and_names(sample_report: Report) -> None:
    suite = _suite(sample_report)
    pairs = [(c.get("classname"), c.get("name")) for c in suite.iter("testcase")]
    assert pairs == [
        ("disc", "disc.prm.served"),
        ("rs", "rs.expired"),
        ("token", "token.no-store"),
        ("refresh", "refresh.rotation"),
        ("authz", "authz.iss"),
        ("scenario", "scenario.expiry-mid-run [claude-ai]"),
        ("compat", "claude-ai"),
        ("compat", "cursor"),
    ]


def test_fail_carries_message_level_and_reproduction(sample_report: Report) -> None:
    failure = _case(_suite(sample_report), "rs", "rs.expired").find("failure")
    assert failure is not None
    assert failure.get("message") == "expired token was accepted (200)"
    assert failure.get("type") == "MUST"
    assert failure.text is not None
    assert failure.text.startswith("expired token was accepted (200)")
    assert "curl -i -X POST 'https://mcp.example.com/mcp'" in failure.text


def test_warn_passes_with_properties(sample_report: Report) -> None:
    case = _case(_suite(sample_report), "token", "token.no-store")
    assert [child.tag for child in case] == ["properties"]
    assert _properties(case) == [
        ("verdict", "warn"),
        ("level", "SHOULD"),
        ("severity", "medium"),
        ("spec_refs", "OAuth 2.1 §3.2.3"),
    ]


def test_skip_and_error(sample_report: Report) -> None:
    suite = _suite(sample_report)
    skipped = _case(suite, "refresh", "refresh.rotation").find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "the server issues no refresh tokens"
    error = _case(suite, "authz", "authz.iss").find("error")
    assert error is not None
    assert error.get("message") == "gathering evidence failed: \\x1b[31mtimeout\\x1b[0m after 10s"


def test_compatibility_cases(sample_report: Report) -> None:
    suite = _suite(sample_report)
    broken = _case(suite, "compat", "claude-ai")
    failure = broken.find("failure")
    assert failure is not None
    assert failure.get("type") == "broken"
    assert failure.text is not None
    assert "https://github.com/anthropics/claude-ai-mcp/issues/250" in failure.text
    degraded = _case(suite, "compat", "cursor")
    assert degraded.find("failure") is None
    assert ("verdict", "degraded") in _properties(degraded)


def test_empty_report_is_a_valid_suite(sample_report: Report) -> None:
    suite = _suite(dataclasses.replace(sample_report, results=(), compatibility=()))
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("0", "0", "0")
