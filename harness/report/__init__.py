"""Renderings of a `Report`: report.json, a self-contained HTML page, Markdown, JUnit XML, SARIF.

Boundary: renderers read a `harness.results.Report` and nothing else; they send no requests,
redact nothing (the report is already redacted) and show nothing the report does not hold.
report.json is `Report.dumps()`; the other formats are views of the same data, so re-rendering
a saved report.json gives the same files byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from harness.report.html import render_html
from harness.report.junit import render_junit
from harness.report.load import load_report
from harness.report.markdown import render_markdown
from harness.report.sarif import render_sarif
from harness.results import Report

__all__ = [
    "FILENAMES",
    "FORMATS",
    "load_report",
    "parse_formats",
    "render_all",
    "render_html",
    "render_json",
    "render_junit",
    "render_markdown",
    "render_sarif",
]

FILENAMES = {
    "json": "report.json",
    "html": "report.html",
    "markdown": "report.md",
    "junit": "junit.xml",
    "sarif": "report.sarif",
}
# What `report --format` accepts, and the rendering each name means.
FORMATS = {"html": "html", "md": "markdown", "markdown": "markdown", "junit": "junit"}
FORMATS["sarif"] = "sarif"


def render_json(report: Report) -> str:
    """report.json: exactly `Report.dumps()`, plus a final newline."""
    return report.dumps() + "\n"


_RENDERERS: dict[str, Callable[[Report], str]] = {
    "json": render_json,
    "html": render_html,
    "markdown": render_markdown,
    "junit": render_junit,
    "sarif": render_sarif,
}


def parse_formats(text: str) -> tuple[str, ...]:
    """`html,md` -> ("html", "markdown"); an unknown name is a ValueError naming the valid ones."""
    chosen: list[str] = []
    for name in (part.strip().lower() for part in text.split(",")):
        if name not in FORMATS:
            valid = ", ".join(sorted(FORMATS))
            raise ValueError(f"unknown report format {name!r}; use one or more of {valid}")
        if FORMATS[name] not in chosen:
            chosen.append(FORMATS[name])
    return tuple(chosen)


def render_all(
    report: Report, out_dir: Path, formats: Iterable[str] | None = None
) -> dict[str, Path]:
    """Write report.json and the chosen renderings (default: all) into `out_dir` (created if
    needed), UTF-8; returns format -> path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    kinds = ["json", *(k for k in (formats or _RENDERERS) if k != "json")]
    written: dict[str, Path] = {}
    for kind in kinds:
        path = out_dir / FILENAMES[kind]
        # backslashreplace: a lone surrogate (undecodable input) becomes a valid JSON `\\udXXX`
        # escape instead of aborting the write; the other renderings never contain one.
        text = _RENDERERS[kind](report)
        path.write_text(text, encoding="utf-8", errors="backslashreplace", newline="\n")
        written[kind] = path
    return written
