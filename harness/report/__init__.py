"""Renderings of a `Report`: report.json, a self-contained HTML page, Markdown and JUnit XML.

Boundary: renderers read a `harness.results.Report` and nothing else; they send no requests,
redact nothing (the report is already redacted) and show nothing the report does not hold.
report.json is `Report.dumps()`; the other formats are views of the same data.
"""

from __future__ import annotations

from pathlib import Path

from harness.report.html import render_html
from harness.report.junit import render_junit
from harness.report.load import load_report
from harness.report.markdown import render_markdown
from harness.results import Report

__all__ = [
    "FILENAMES",
    "load_report",
    "render_all",
    "render_html",
    "render_json",
    "render_junit",
    "render_markdown",
]

FILENAMES = {
    "json": "report.json",
    "html": "report.html",
    "markdown": "report.md",
    "junit": "junit.xml",
}


def render_json(report: Report) -> str:
    """report.json: exactly `Report.dumps()`, plus a final newline."""
    return report.dumps() + "\n"


def render_all(report: Report, out_dir: Path) -> dict[str, Path]:
    """Write every rendering into `out_dir` (created if needed), UTF-8; returns format -> path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    texts = {
        "json": render_json(report),
        "html": render_html(report),
        "markdown": render_markdown(report),
        "junit": render_junit(report),
    }
    written: dict[str, Path] = {}
    for kind, text in texts.items():
        path = out_dir / FILENAMES[kind]
        # backslashreplace: a lone surrogate (undecodable input) becomes a valid JSON `\\udXXX`
        # escape instead of aborting the write; the other renderings never contain one.
        path.write_text(text, encoding="utf-8", errors="backslashreplace", newline="\n")
        written[kind] = path
    return written
