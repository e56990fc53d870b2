from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from harness.report import render_markdown
from harness.report.markdown import cell, code, fenced
from harness.results import Level, Report, Result, Severity, Verdict

MATRIX_HEADER = "| profile | verdict | phase | main reason (attribution) |"
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def _section(text: str, title: str) -> str:
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _tables(text: str) -> list[list[str]]:
    tables: list[list[str]] = []
    current: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    return tables


def test_markdown_snapshot(
    sample_report: Report, assert_snapshot: Callable[[str, str], None]
) -> None:
    assert_snapshot("report.md", render_markdown(sample_report))


def test_heading_names_target_and_run(sample_report: Report) -> None:
    head = render_markdown(sample_report).split("\n## ", 1)[0]
    assert head.startswith("# mcp-auth-harness report: https://mcp.example.com/mcp\n")
    for expected in ("2025-11-25", "2026-11-27T10:00:00Z", "4.2 s", "12345"):
        assert expected in head
    assert "**Summary:** 1 pass · 2 fail · 1 warn · 1 skip · 1 error" in head


def test_compatibility_matrix_then_reasons(sample_report: Report) -> None:
    compat = _section(render_markdown(sample_report), "Compatibility")
    lines = compat.splitlines()
    header = lines.index(MATRIX_HEADER)
    assert lines[header + 2].startswith("| claude-ai | **broken** | authorize | authorization")
    assert "(server) (+1 more) |" in lines[header + 2]
    assert lines[header + 3].startswith("| cursor | **degraded** | refresh | the client never")
    assert "- the callback | drops the state (client)" in compat
    assert "  - source: https://github.com/anthropics/claude-ai-mcp/issues/250" in compat
    assert "Remediation:\n\n- answer the authorization request with 302 or 303" in compat


def test_no_matrix_without_compatibility(sample_report: Report) -> None:
    text = render_markdown(dataclasses.replace(sample_report, compatibility=()))
    assert MATRIX_HEADER not in text
    assert "## Compatibility" not in text


def test_tables_escape_pipes_and_newlines(sample_report: Report) -> None:
    text = render_markdown(sample_report)
    assert "Cache-Control was 'private \\| max-age=60'<br>expected no-store" in text
    for table in _tables(text):
        widths = {len(_UNESCAPED_PIPE.findall(row)) for row in table}
        assert len(widths) == 1, table


def test_findings_ordered_fail_warn_error_and_grouped(sample_report: Report) -> None:
    findings = _section(render_markdown(sample_report), "Findings")
    order = [
        "### Failures",
        "#### rs",
        "`rs.expired`",
        "#### scenario",
        "`scenario.expiry-mid-run [claude-ai]`",
        "### Warnings",
        "#### token",
        "### Errors",
        "#### authz",
    ]
    positions = [findings.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert "disc.prm.served" not in findings
    assert "refresh.rotation" not in findings


def test_finding_shows_reproduction_and_two_exchanges(sample_report: Report) -> None:
    findings = _section(render_markdown(sample_report), "Findings")
    assert "- **Level:** MUST · **Severity:** high" in findings
    assert "- **Spec:** MCP 2025-11-25 Authorization §Token Handling; OAuth 2.1 §5.2" in findings
    curl = "curl -i -X POST 'https://mcp.example.com/mcp' -H 'Authorization: Bearer $TOKEN'"
    repro = f"```sh\n{curl}\n```"
    assert repro in findings
    assert "- `POST https://mcp.example.com/mcp → 200`" in findings
    assert "- `GET https://mcp.example.com/mcp → 200`" in findings
    assert "DELETE" not in findings
    assert "- … and 1 more in report.json" in findings


def test_all_results_table_lists_every_result(sample_report: Report) -> None:
    table = _tables(_section(render_markdown(sample_report), "All results"))[0]
    assert table[0] == "| check | profile | verdict | message |"
    rows = table[2:]
    assert len(rows) == len(sample_report.results)
    for row, result in zip(rows, sample_report.results, strict=True):
        assert row.startswith(f"| `{result.check}` | {result.profile or '—'} | {result.verdict} |")


def test_no_findings_says_so(sample_report: Report) -> None:
    passes = tuple(r for r in sample_report.results if r.verdict is Verdict.PASS)
    text = render_markdown(dataclasses.replace(sample_report, results=passes))
    assert "No failures, warnings or errors." in text


def test_untrusted_text_cannot_inject_html_or_escapes() -> None:
    result = Result(
        check="rs.garbage-token",
        title="",
        level=Level.MUST,
        severity=Severity.HIGH,
        verdict=Verdict.FAIL,
        message="server said <img src=x onerror=alert(1)> \x1b[2J",
        reproduce="echo '```' && curl x",
    )
    report = Report(
        tool_version="0.1.0",
        target_url="https://t.example/mcp",
        spec_revision=None,
        started_at="2026-11-27T10:00:00Z",
        duration_s=0.0,
        seed=1,
        results=(result,),
    )
    text = render_markdown(report)
    assert "<img" not in text
    assert "&lt;img src=x" in text
    assert "\x1b" not in text
    assert "\\x1b[2J" in text
    assert "````sh\necho '```' && curl x\n````" in text
    assert "- **Spec revision:** unknown" in text


def test_helpers() -> None:
    assert cell("a|b\nc") == "a\\|b<br>c"
    assert code("a`b") == "``a`b``"
    assert code("`x") == "`` `x ``"
    assert fenced("plain", "sh") == "```sh\nplain\n```"
