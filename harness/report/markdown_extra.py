"""The Markdown parts beyond results: clients at a glance, the phase grid, the baseline, fuzz
failures, load statistics, and the cut that keeps a comment under a pull request's size limit."""

from __future__ import annotations

import re
from collections.abc import Sequence

from harness.report.grid import STATE_LABELS, SYMBOLS, client_counts, grid
from harness.report.mdtext import cell, code, fenced, inline, table
from harness.report.sections import baseline_view, fuzz_view, load_view
from harness.results import Report

MAX_CHARS = 60_000  # GitHub refuses comments over 65,536 characters
MAX_FUZZ_SHOWN = 10
_FENCE = re.compile(r"^(`{3,})")


def clients_line(report: Report) -> list[str]:
    if not report.compatibility:
        return []
    counts = client_counts(report)
    total = len(report.compatibility)
    line = f"**Clients:** {counts['works']} of {total} work"
    line += f" · {counts['degraded']} degraded · {counts['broken']} broken"
    return ["", line]


def grid_lines(report: Report) -> list[str]:
    columns, rows = grid(report)
    if not rows:
        return []
    header = ["client", *(cell(phase.replace("-", " ")) for phase in columns)]
    body = [
        [cell(row.entry.profile), *(f"{c.symbol} {c.label}" for c in row.cells)] for row in rows
    ]
    legend = " · ".join(f"{SYMBOLS[state]} {label}" for state, label in STATE_LABELS.items())
    return ["", f"Phases ({legend}):", "", *table(header, body)]


def baseline_lines(report: Report) -> list[str]:
    view = baseline_view(report)
    if view is None:
        return []
    lines = [
        "",
        "## Changes since the baseline",
        "",
        f"Baseline {code(view.file)} ({inline(view.entries)} accepted): {len(view.new)} new · "
        f"{len(view.fixed)} fixed · {len(view.stale)} stale · {len(view.known)} still present",
    ]
    for title, entries in (
        ("New findings (these fail the run)", view.new),
        ("Fixed", view.fixed),
        ("Stale entries (not judged again)", view.stale),
    ):
        if entries:
            lines += ["", f"**{title}:**", ""]
            lines += [
                f"- {code(e.name)} ({inline(e.verdict)}): {inline(e.message)}" for e in entries
            ]
    return lines


def fuzz_lines(report: Report) -> list[str]:
    view = fuzz_view(report)
    if view is None:
        return []
    lines = ["", "## Fuzzing", ""]
    if not view.failures:
        return [*lines, "No fuzzing failures."]
    lines.append(f"{len(view.failures)} failures.")
    for failure in view.failures[:MAX_FUZZ_SHOWN]:
        seed = f" (seed {inline(failure.seed)})" if failure.seed else ""
        lines += ["", f"##### {code(failure.check)}{seed}", "", f"- {inline(failure.message)}"]
        if failure.kind:
            lines.append(f"- **Mutation:** {inline(failure.kind)}")
        lines += ["", "Shrunk input:", "", fenced(failure.input)]
        if failure.curl:
            lines += ["", fenced("\n".join(failure.curl), "sh")]
    hidden = len(view.failures) - MAX_FUZZ_SHOWN
    if hidden > 0:
        lines += ["", f"… and {hidden} more fuzzing failures in report.html and report.json."]
    return lines


def load_lines(report: Report) -> list[str]:
    view = load_view(report)
    if view is None or not view.endpoints:
        return []
    header = ["endpoint", *(cell(c) for c in view.columns)]
    rows = [[cell(name), *(cell(v) for v in values)] for name, values in view.endpoints]
    return ["", "## Load", "", *table(header, rows), "", "Charts are in report.html."]


def _cut_points(lines: Sequence[str]) -> list[bool]:
    """Whether the text may be cut before each line: never inside a fenced code block."""
    allowed, fence = [], None
    for line in lines:
        allowed.append(fence is None)
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
        elif fence is not None and line.strip() == fence:
            fence = None
    return allowed


def truncate(lines: Sequence[str], limit: int = MAX_CHARS) -> str:
    """`lines` joined, ending in a newline; if longer than `limit`, cut at the last line
    boundary outside a code block that leaves room for a note saying what was left out."""
    text = "\n".join(lines) + "\n"
    if len(text) <= limit:
        return text
    note_room = 300
    allowed = _cut_points(lines)
    size, keep = 0, 0
    for index, line in enumerate(lines):
        if size + len(line) + 1 > limit - note_room:
            break
        size += len(line) + 1
        if index + 1 < len(lines) and allowed[index + 1]:
            keep = index + 1
    shown = "\n".join(lines[:keep])
    note = (
        f"\n\n---\n\n**Truncated:** this Markdown shows {len(shown):,} of {len(text):,} "
        "characters; the full report is in report.html and report.json.\n"
    )
    return shown + note
