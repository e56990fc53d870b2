"""The HTML rendering: one self-contained page (inline CSS, no scripts, no external assets).

The template `templates/report.html.j2` is rendered with autoescaping on; everything from the
target is text, never markup. Links are made only for `http(s)` sources.
"""

from __future__ import annotations

from dataclasses import dataclass

import jinja2

from harness.report.view import (
    VERDICT_HEADINGS,
    ExchangeView,
    case_name,
    duration_text,
    exchanges,
    finding_groups,
    main_reason,
    printable,
    spec_revision_text,
    summary_items,
)
from harness.results import Compatibility, Reason, Report, Result

TEMPLATE = "report.html.j2"


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingView:
    result: Result
    name: str
    exchanges: tuple[ExchangeView, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupView:
    heading: str
    verdict: str
    prefix: str
    findings: tuple[FindingView, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CompatView:
    entry: Compatibility
    main: Reason | None


def _is_web_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def _finalize(value: object) -> object:
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
    return env


def _groups(report: Report) -> list[GroupView]:
    return [
        GroupView(
            heading=VERDICT_HEADINGS[group.verdict],
            verdict=group.verdict.value,
            prefix=group.prefix,
            findings=tuple(
                FindingView(result=r, name=case_name(r), exchanges=tuple(exchanges(r)))
                for r in group.results
            ),
        )
        for group in finding_groups(report.results)
    ]


def render_html(report: Report) -> str:
    """The whole report as one HTML page."""
    template = _environment().get_template(TEMPLATE)
    return template.render(
        report=report,
        spec_revision=spec_revision_text(report),
        duration=duration_text(report),
        summary=summary_items(report),
        compatibility=[CompatView(entry=e, main=main_reason(e)) for e in report.compatibility],
        groups=_groups(report),
        results=report.results,
    )
