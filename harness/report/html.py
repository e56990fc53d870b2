"""The HTML rendering: one self-contained page (inline CSS, SVG and one small script).

The template `templates/report.html.j2` is rendered with autoescaping on; everything from the
target is text, never markup. Links are made only for `http(s)` sources. A Content-Security-
Policy allows no network at all and only the page's own script (by hash), so even markup that
slipped through could neither run script nor load anything.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

import jinja2
from markupsafe import Markup

from harness.report.grid import client_counts, grid
from harness.report.links import spec_link
from harness.report.sections import baseline_view, fuzz_view, load_view
from harness.report.view import (
    AreaGroup,
    ExchangeView,
    case_name,
    duration_text,
    error_groups,
    exchanges,
    printable,
    severity_counts,
    severity_groups,
    spec_revision_text,
    summary_items,
)
from harness.results import Report, Result

TEMPLATE = "report.html.j2"
# Opens one grid cell's panel at a time; buttons give keyboard activation (Enter, Space).
SCRIPT = Markup(
    """
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[aria-controls]");
  if (!button) { return; }
  var panel = document.getElementById(button.getAttribute("aria-controls"));
  if (!panel) { return; }
  var opening = button.getAttribute("aria-expanded") !== "true";
  document.querySelectorAll("button[aria-expanded=true]").forEach(function (other) {
    other.setAttribute("aria-expanded", "false");
    var shown = document.getElementById(other.getAttribute("aria-controls"));
    if (shown) { shown.hidden = true; }
  });
  button.setAttribute("aria-expanded", opening ? "true" : "false");
  panel.hidden = !opening;
});
"""
)
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(str(SCRIPT).encode()).digest()).decode()
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    f"script-src 'sha256-{_SCRIPT_HASH}'; base-uri 'none'; form-action 'none'"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingView:
    result: Result
    name: str
    exchanges: tuple[ExchangeView, ...]
    baseline: str | None  # new or known, when a baseline was applied


@dataclass(frozen=True, slots=True, kw_only=True)
class AreaView:
    prefix: str
    findings: tuple[FindingView, ...]


def _is_web_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def _finalize(value: object) -> object:
    if isinstance(value, Markup):  # our own markup (the script, SVG charts): already safe
        return value
    return printable(value) if isinstance(value, str) else value


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("harness.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.tests["web_url"] = _is_web_url
    env.filters["spec_link"] = spec_link
    return env


def render_html(report: Report) -> str:
    """The whole report as one HTML page."""
    baseline = baseline_view(report)

    def areas(groups: list[AreaGroup]) -> list[AreaView]:
        return [
            AreaView(
                prefix=group.prefix,
                findings=tuple(
                    FindingView(
                        result=r,
                        name=case_name(r),
                        exchanges=tuple(exchanges(r)),
                        baseline=baseline.status(r.check, r.profile) if baseline else None,
                    )
                    for r in group.results
                ),
            )
            for group in groups
        ]

    columns, rows = grid(report)
    template = _environment().get_template(TEMPLATE)
    return template.render(
        report=report,
        csp=CSP,
        script=SCRIPT,
        spec_revision=spec_revision_text(report),
        duration=duration_text(report),
        summary=summary_items(report),
        severities=severity_counts(report),
        clients=client_counts(report),
        columns=columns,
        rows=rows,
        findings=[(s.value, areas(g)) for s, g in severity_groups(report.results)],
        errors=areas(error_groups(report.results)),
        baseline=baseline,
        fuzz=fuzz_view(report),
        load=load_view(report),
        results=report.results,
    )
