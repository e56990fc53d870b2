"""Markdown for pull-request comments: under 60,000 characters with a note when cut, never cut
inside a code block, and the baseline, fuzz and load parts shown safely."""

from __future__ import annotations

import dataclasses
import re

from harness.report import render_markdown
from harness.report.markdown_extra import MAX_CHARS, truncate
from harness.results import Report, Verdict
from tests.report.hostile import MARK, hostile_report
from tests.unit.report.conftest import make_report


def _huge() -> Report:
    report = make_report()
    failing = report.results[1]
    many = tuple(
        dataclasses.replace(failing, check=f"rs.expired-{i}", message="x" * 300 + f" {i}")
        for i in range(400)
    )
    return dataclasses.replace(report, results=(*report.results, *many))


def test_a_long_report_is_cut_under_the_limit_with_a_note() -> None:
    text = render_markdown(_huge())
    assert len(text) <= MAX_CHARS
    assert "**Truncated:** this Markdown shows" in text
    assert "the full report is in report.html and report.json" in text
    assert text.startswith("# mcp-auth-harness report")
    assert "## Compatibility" in text, "the head and the grid come first and survive"
    body = text[: text.index("\n---\n\n**Truncated:**")]
    fences = [line for line in body.splitlines() if line.startswith("```")]
    assert len(fences) % 2 == 0, "no code block is left open"


def test_a_short_report_is_not_cut() -> None:
    text = render_markdown(make_report())
    assert "Truncated" not in text
    assert len(text) < MAX_CHARS


def test_truncate_never_cuts_inside_a_fence() -> None:
    lines = ["head", "```sh", *(["y" * 50] * 10), "```", "tail"]
    text = truncate(lines, limit=300 + 200)
    assert "```" not in text.split("---")[0], "the whole block goes rather than half of it"
    assert text.startswith("head\n")


def _outside_code(text: str) -> str:
    """The text with fenced blocks and code spans removed (markup there is shown literally)."""
    text = re.sub(r"(?ms)^(`{3,})[^\n]*\n.*?^\1$", "", text)
    return re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", text)


def test_hostile_sections_stay_text() -> None:
    text = render_markdown(hostile_report())
    prose = _outside_code(text)
    assert "<script" not in prose
    assert "<img" not in prose
    assert "<svg" not in prose
    assert "&lt;script>" in prose
    assert "## Changes since the baseline" in text
    assert "## Fuzzing" in text
    assert "## Load" in text
    assert MARK in text
    assert "**Clients:** 0 of 3 work · 1 degraded · 2 broken" in text
    baseline = text[text.index("## Changes since the baseline") :]
    assert "New findings (these fail the run)" in baseline


def test_every_verdict_still_listed_when_short() -> None:
    text = render_markdown(make_report())
    for result in make_report().results:
        if result.verdict is not Verdict.PASS:
            assert result.check in text
