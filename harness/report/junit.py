"""The JUnit XML rendering, for CI systems that show test results.

One `<testsuite name="mcp-auth-harness">` inside `<testsuites>`; one `<testcase>` per result
(classname: the check-id prefix) and one per compatibility entry (classname `compat`). Every case
carries its verdict and metadata as `<properties>`, the way pytest's `record_property` does.
Characters XML 1.0 cannot carry (control characters a fuzzed server may echo) are written as
`\\xNN` so the document always parses.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from harness.report.view import case_name, check_prefix, exchanges, printable
from harness.results import Compatibility, CompatVerdict, Report, Result, Verdict

SUITE_NAME = "mcp-auth-harness"
xml_safe = printable


def _properties(case: ET.Element, items: list[tuple[str, str]]) -> None:
    props = ET.SubElement(case, "properties")
    for name, value in items:
        ET.SubElement(props, "property", name=name, value=xml_safe(value))


def _result_case(suite: ET.Element, result: Result) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        classname=xml_safe(check_prefix(result.check)),
        name=xml_safe(case_name(result)),
    )
    items = [
        ("verdict", result.verdict.value),
        ("level", result.level.value),
        ("severity", result.severity.value),
    ]
    if result.spec_refs:
        items.append(("spec_refs", "; ".join(result.spec_refs)))
    _properties(case, items)
    message = xml_safe(result.message)
    if result.verdict is Verdict.FAIL:
        failure = ET.SubElement(case, "failure", message=message, type=result.level.value)
        body = result.message
        if result.reproduce:
            body += f"\n\nReproduce:\n{result.reproduce}"
        failure.text = xml_safe(body)
    elif result.verdict is Verdict.ERROR:
        error = ET.SubElement(case, "error", message=message, type="error")
        shown = exchanges(result)
        evidence = "".join(f"\n  {exchange.line}" for exchange in shown)
        error.text = xml_safe(result.message + (f"\n\nEvidence:{evidence}" if shown else ""))
    elif result.verdict is Verdict.SKIP:
        ET.SubElement(case, "skipped", message=message)


def _compat_text(entry: Compatibility) -> str:
    lines = [
        f"{reason.text} ({reason.attribution.value})"
        + "".join(f"\n  source: {source}" for source in reason.sources)
        for reason in entry.reasons
    ]
    if entry.remediation:
        lines += ["", "Remediation:", *(f"- {step}" for step in entry.remediation)]
    return "\n".join(lines)


def _compat_case(suite: ET.Element, entry: Compatibility) -> None:
    case = ET.SubElement(suite, "testcase", classname="compat", name=xml_safe(entry.profile))
    items = [("verdict", entry.verdict.value)]
    if entry.phase:
        items.append(("phase", entry.phase))
    items += [("reason", f"{reason.text} ({reason.attribution.value})") for reason in entry.reasons]
    items += [("remediation", step) for step in entry.remediation]
    _properties(case, items)
    if entry.verdict is CompatVerdict.BROKEN:
        first = entry.reasons[0].text if entry.reasons else "the client cannot use this server"
        failure = ET.SubElement(case, "failure", message=xml_safe(first), type="broken")
        failure.text = xml_safe(_compat_text(entry))


def _suite_counts(report: Report) -> dict[str, str]:
    counts = report.summary()
    broken = sum(1 for entry in report.compatibility if entry.verdict is CompatVerdict.BROKEN)
    return {
        "tests": str(len(report.results) + len(report.compatibility)),
        "failures": str(counts[Verdict.FAIL.value] + broken),
        "errors": str(counts[Verdict.ERROR.value]),
        "skipped": str(counts[Verdict.SKIP.value]),
        "time": f"{report.duration_s:.3f}",
    }


def render_junit(report: Report) -> str:
    """The report as a JUnit XML document (UTF-8 declared), ending in a newline."""
    counts = _suite_counts(report)
    root = ET.Element("testsuites", {"name": SUITE_NAME, **counts})
    suite = ET.SubElement(root, "testsuite", {"name": SUITE_NAME, **counts})
    _properties(
        suite,
        [
            ("target", report.target_url),
            ("spec_revision", report.spec_revision or "unknown"),
            ("started_at", report.started_at),
            ("seed", str(report.seed)),
            ("tool_version", report.tool_version),
        ],
    )
    for result in report.results:
        _result_case(suite, result)
    for entry in report.compatibility:
        _compat_case(suite, entry)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
