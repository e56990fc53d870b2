"""The Markdown rendering: for pull-request comments, CI job summaries and issue reports.

Text from the target (messages, URLs, bodies) is untrusted: table cells escape `|` and line
breaks, inline text escapes `<` so it cannot become HTML, and code spans and fences grow longer
than any backtick run inside them.
"""

from __future__ import annotations

from harness.report.markdown_extra import (
    MAX_CHARS,
    baseline_lines,
    clients_line,
    fuzz_lines,
    grid_lines,
    load_lines,
    truncate,
)
from harness.report.mdtext import cell, code, fenced, inline, table
from harness.report.view import (
    VERDICT_HEADINGS,
    FindingGroup,
    case_name,
    duration_text,
    exchanges,
    finding_groups,
    main_reason,
    spec_revision_text,
    summary_text,
)
from harness.results import Compatibility, Report, Result

__all__ = ["cell", "code", "fenced", "inline", "render_markdown"]

MAX_EVIDENCE_SHOWN = 2


def _head(report: Report) -> list[str]:
    return [
        f"# mcp-auth-harness report: {inline(report.target_url)}",
        "",
        f"- **Target:** {code(report.target_url)}",
        f"- **Spec revision:** {inline(spec_revision_text(report))}",
        f"- **Started:** {inline(report.started_at)}",
        f"- **Duration:** {duration_text(report)}",
        f"- **Seed:** {report.seed}",
        f"- **Tool:** mcp-auth-harness {inline(report.tool_version)}",
        "",
        f"**Summary:** {summary_text(report)}",
        *clients_line(report),
    ]


def _matrix_row(entry: Compatibility) -> tuple[str, ...]:
    reason = main_reason(entry)
    shown = f"{reason.text} ({reason.attribution.value})" if reason else ""
    if len(entry.reasons) > 1:
        shown += f" (+{len(entry.reasons) - 1} more)"
    return (
        cell(entry.profile),
        f"**{entry.verdict.value}**",
        cell(entry.phase or ""),
        cell(shown),
    )


def _profile_details(entry: Compatibility) -> list[str]:
    phase = f" at {inline(entry.phase)}" if entry.phase else ""
    lines = ["", f"### {inline(entry.profile)}: {entry.verdict.value}{phase}"]
    if entry.reasons:
        lines += ["", "Reasons:", ""]
        for reason in entry.reasons:
            lines.append(f"- {inline(reason.text)} ({reason.attribution.value})")
            lines += [f"  - source: {inline(source)}" for source in reason.sources]
    if entry.remediation:
        lines += ["", "Remediation:", ""]
        lines += [f"- {inline(step)}" for step in entry.remediation]
    return lines


def _compatibility(report: Report) -> list[str]:
    if not report.compatibility:
        return []
    header = ("profile", "verdict", "phase", "main reason (attribution)")
    lines = ["", "## Compatibility", ""]
    lines += table(header, [_matrix_row(entry) for entry in report.compatibility])
    lines += grid_lines(report)
    for entry in report.compatibility:
        lines += _profile_details(entry)
    return lines


def _finding(result: Result) -> list[str]:
    title = f": {inline(result.title)}" if result.title else ""
    lines = [
        "",
        f"##### {code(case_name(result))}{title}",
        "",
        f"- **Level:** {result.level.value} · **Severity:** {result.severity.value}",
        f"- **Message:** {inline(result.message)}",
    ]
    if result.spec_refs:
        lines.append(f"- **Spec:** {inline('; '.join(result.spec_refs))}")
    if result.reproduce:
        lines += ["", fenced(result.reproduce, "sh")]
    shown = exchanges(result)
    if shown:
        lines += ["", "Evidence:", ""]
        lines += [f"- {code(exchange.line)}" for exchange in shown[:MAX_EVIDENCE_SHOWN]]
        hidden = len(shown) - MAX_EVIDENCE_SHOWN
        if hidden > 0:
            lines.append(f"- … and {hidden} more in report.json")
    return lines


def _findings(groups: list[FindingGroup]) -> list[str]:
    lines = ["", "## Findings"]
    if not groups:
        return [*lines, "", "No failures, warnings or errors."]
    verdict = None
    for group in groups:
        if group.verdict is not verdict:
            verdict = group.verdict
            lines += ["", f"### {VERDICT_HEADINGS[verdict]}"]
        lines += ["", f"#### {group.prefix}"]
        for result in group.results:
            lines += _finding(result)
    return lines


def _all_results(report: Report) -> list[str]:
    lines = ["", "## All results", ""]
    if not report.results:
        return [*lines, "No results."]
    rows = [
        (
            code(r.check).replace("|", "\\|"),
            cell(r.profile or "—"),
            r.verdict.value,
            cell(r.message),
        )
        for r in report.results
    ]
    return lines + table(("check", "profile", "verdict", "message"), rows)


def render_markdown(report: Report, limit: int = MAX_CHARS) -> str:
    """The whole report as GitHub-flavoured Markdown, ending in a newline; at most `limit`
    characters (a pull-request comment's size), cut between blocks with a note saying so."""
    lines = _head(report)
    lines += baseline_lines(report)
    lines += _compatibility(report)
    lines += _findings(finding_groups(report.results))
    lines += fuzz_lines(report)
    lines += load_lines(report)
    lines += _all_results(report)
    return truncate(lines, limit)
