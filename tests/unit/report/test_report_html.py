from __future__ import annotations

import dataclasses
from html.parser import HTMLParser

import pytest

from harness.report import render_html
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


def test_self_contained_without_scripts(page: str) -> None:
    parser = _parse(page)
    tags = {tag for tag, _ in parser.tags}
    assert {"script", "link", "img", "iframe", "object"}.isdisjoint(tags)
    assert "style" in tags
    for tag, attrs in parser.tags:
        assert "src" not in attrs
        assert not any(name.startswith("on") for name in attrs)
        if "href" in attrs:
            assert tag == "a"
            assert (attrs["href"] or "").startswith("https://")


def test_untrusted_content_is_escaped(page: str) -> None:
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt; &amp; friends" in page
    assert 'href="javascript:' not in page
    assert "<li>javascript:alert(1)</li>" in page
    assert "\x1b" not in page
    assert "\\x1b[31mtimeout" in page


def test_summary_cards_and_matrix_colours(page: str) -> None:
    parser = _parse(page)
    classes = [attrs.get("class") or "" for _, attrs in parser.tags]
    for verdict in ("pass", "fail", "warn", "skip", "error"):
        assert f"card v-{verdict}" in classes
    assert "compat v-broken" in classes
    assert "compat v-degraded" in classes
    assert "main reason (attribution)" in page


def test_findings_have_collapsible_evidence_and_reproduction(page: str) -> None:
    _parse(page)
    findings = page[page.index('<section id="findings">') : page.index('<section id="results">')]
    assert findings.count("<details>") == 2
    assert "<summary>Reproduce with curl</summary>" in findings
    assert "<summary>Evidence (3 exchanges)</summary>" in findings
    assert "authorization: Bearer sha256:1f2e3d4c" in findings
    assert "error: connection reset" in findings
    assert findings.index("rs.expired") < findings.index("token.no-store")
    assert findings.index("token.no-store") < findings.index("authz.iss")
    assert "disc.prm.served" not in findings


def test_results_table_has_a_row_per_result(sample_report: Report, page: str) -> None:
    results = page[page.index('<section id="results">') :]
    assert results.count("<tr class=") == len(sample_report.results)


def test_empty_report_renders(sample_report: Report) -> None:
    page = render_html(dataclasses.replace(sample_report, results=(), compatibility=()))
    _parse(page)
    assert "No failures, warnings or errors." in page
    assert "No results." in page
    assert 'id="compatibility"' not in page
