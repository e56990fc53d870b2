from __future__ import annotations

import base64
import dataclasses
import hashlib
from html.parser import HTMLParser

import pytest

from harness.report import render_html
from harness.report.html import CSP, SCRIPT
from harness.results import Report

VOID = frozenset({"meta", "br", "hr", "img", "input", "link", "wbr", "col", "source"})


class StrictParser(HTMLParser):
    """Records tags, attributes and text, and every nesting error `html.parser` lets pass."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> StrictParser:
    parser = StrictParser()
    parser.feed(html)
    parser.close()
    assert parser.problems == []
    assert parser.stack == []
    return parser


@pytest.fixture
def page(sample_report: Report) -> str:
    return render_html(sample_report)


def test_parses_cleanly_and_names_every_check(sample_report: Report, page: str) -> None:
    parser = _parse(page)
    assert page.startswith("<!DOCTYPE html>")
    text = "".join(parser.text)
    for result in sample_report.results:
        assert result.check in text
    assert "scenario.expiry-mid-run [claude-ai]" in text


def test_self_contained_with_only_its_own_script(page: str) -> None:
    parser = _parse(page)
    tags = [tag for tag, _ in parser.tags]
    assert {"link", "img", "iframe", "object", "embed", "base"}.isdisjoint(tags)
    assert tags.count("script") == 1
    assert "style" in tags
    for tag, attrs in parser.tags:
        assert "src" not in attrs
        assert not any(name.startswith("on") for name in attrs)
        if "href" in attrs:
            assert tag == "a"
            assert (attrs["href"] or "").startswith(("https://", "#"))
    policy = next(
        a["content"] for t, a in parser.tags if a.get("http-equiv") == "Content-Security-Policy"
    )
    assert policy == CSP
    digest = base64.b64encode(hashlib.sha256(str(SCRIPT).encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in (policy or "")
    assert f"<script>{SCRIPT}</script>" in page, "the script is written exactly as hashed"
    assert "default-src 'none'" in (policy or "")


def test_untrusted_content_is_escaped(page: str) -> None:
    assert page.count("<script") == 1
    assert "&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt; &amp; friends" in page
    assert 'href="javascript:' not in page
    assert "<li>source: javascript:alert(1)</li>" in page
    assert "\x1b" not in page, "no raw terminal escape"
    assert "\\x1b[31mtimeout" in page, "shown as text instead"


def test_summary_and_grid(sample_report: Report, page: str) -> None:
    parser = _parse(page)
    classes = [attrs.get("class") or "" for _, attrs in parser.tags]
    for verdict in ("pass", "fail", "warn", "skip", "error"):
        assert f"card v-{verdict}" in classes
    assert "0 of 2 clients work</strong>, 1 degraded, 1 broken" in page
    buttons = [a for t, a in parser.tags if t == "button"]
    assert len(buttons) == 2 * 7, "one cell per profile and phase"
    labels = [b["aria-label"] for b in buttons]
    assert "claude-ai, authorize: broken" in labels
    assert "claude-ai, discover: works" in labels
    assert "claude-ai, token: not reached" in labels
    assert "cursor, refresh: degraded" in labels
    assert "cursor, long run: works" in labels
    for button in buttons:
        assert button["aria-expanded"] == "false"
        panel = next(a for t, a in parser.tags if a.get("id") == button["aria-controls"])
        assert "hidden" in panel
        assert panel["role"] == "region"


def test_findings_by_severity_then_area_with_evidence(page: str) -> None:
    _parse(page)
    findings = page[page.index('<section id="findings"') : page.index('<section id="errors"')]
    assert findings.count("<details") == 2
    assert "<summary>Reproduce with curl</summary>" in findings
    assert "<summary>Evidence (3 exchanges)</summary>" in findings
    assert "authorization: Bearer sha256:1f2e3d4c" in findings
    assert "error: connection reset" in findings
    order = [findings.index(x) for x in ("Critical severity", "scenario.expiry-mid-run")]
    order += [findings.index(x) for x in ("High severity", "rs.expired", "Medium severity")]
    order.append(findings.index("token.no-store"))
    assert order == sorted(order)
    assert 'href="https://www.rfc-editor.org/rfc/rfc9728' not in findings, "a passing check"
    assert (
        '<a href="https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1#section-5.2"'
        in findings
    )
    assert "disc.prm.served" not in findings
    assert "authz.iss" not in findings
    errors = page[page.index('<section id="errors"') : page.index('<section id="results"')]
    assert "authz.iss" in errors


def test_results_table_has_a_row_per_result(sample_report: Report, page: str) -> None:
    results = page[page.index('<section id="results"') :]
    assert results.count("<tr class=") == len(sample_report.results)


def test_empty_report_renders(sample_report: Report) -> None:
    page = render_html(dataclasses.replace(sample_report, results=(), compatibility=()))
    _parse(page)
    assert "No failures or warnings." in page
    assert "No results." in page
    assert 'id="compatibility"' not in page
