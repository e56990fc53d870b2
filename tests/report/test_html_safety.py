"""Target-controlled strings (error texts, header names and values, URLs, fuzz inputs) cannot
inject markup or script into the HTML report, and the extra sections render what they hold."""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser

from harness.report import render_html
from harness.report.html import SCRIPT
from harness.results import Attribution, Compatibility, CompatVerdict, Reason
from tests.report.hostile import MARK, hostile_report
from tests.unit.report.conftest import make_report


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.comments: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_no_hostile_string_becomes_markup() -> None:
    page = render_html(hostile_report())
    parser = Tags()
    parser.feed(page)
    parser.close()
    names = [tag for tag, _ in parser.tags]
    assert names.count("script") == 1
    assert page.count(f"<script>{SCRIPT}</script>") == 1
    assert {"img", "iframe", "object", "embed", "textarea", "b"}.isdisjoint(names)
    assert names.count("svg") == 2, "the load charts, one with a hostile series label"
    assert not parser.comments
    for tag, attrs in parser.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert MARK not in "".join(attrs), (tag, attrs)
        href = attrs.get("href")
        if href is not None:
            assert href.startswith(("https://", "#")), href
        for name, value in attrs.items():
            if value and MARK in value:
                assert name in {"aria-label", "title", "content", "href"}, (tag, name)
    assert sum(MARK in chunk for chunk in parser.text) > 20, "the payloads are shown, as text"


def test_charts_escape_labels_and_draw_every_series() -> None:
    report = hostile_report()
    load = {"series": [{"t": 0, "rps": 4, "p50_ms": 3.0, "p95_ms": 9.5}, {"t": 2, "rps": 6}]}
    page = render_html(dataclasses.replace(report, extra={"load": load}))
    section = page[page.index('<section id="load"') :]
    assert section.count("<svg ") == 2
    assert 'aria-label="Requests per second"' in section
    assert section.count("<polyline") == 3
    assert "<title>p95_ms</title>" in section


def test_phased_reasons_fill_their_cells() -> None:
    entry = Compatibility(
        profile="vscode",
        verdict=CompatVerdict.BROKEN,
        phase="call",
        reasons=(
            Reason(
                text="the token lacks the audience",
                attribution=Attribution.SERVER,
                phase="call",
                impact=CompatVerdict.BROKEN,
            ),
            Reason(
                text="no refresh token",
                attribution=Attribution.SERVER,
                phase="refresh",
                impact=CompatVerdict.DEGRADED,
            ),
            Reason(
                text="asks again at step-up",
                attribution=Attribution.CLIENT,
                phase="step-up",
                impact=CompatVerdict.DEGRADED,
            ),
        ),
        remediation=("set aud to the resource",),
    )
    page = render_html(dataclasses.replace(make_report(), compatibility=(entry,)))
    assert '<th scope="col">step up</th>' in page
    for label in (
        "vscode, token: works",
        "vscode, call: broken",
        "vscode, refresh: degraded",
        "vscode, long run: not reached",
        "vscode, step-up: degraded",
    ):
        assert f'aria-label="{label}"' in page
    call = page[page.index('id="cell-0-4"') :]
    call = call[: call.index("</div>")]
    assert "the token lacks the audience" in call
    assert "no refresh token" not in call
    assert "set aud to the resource" in call


def test_fuzz_section_shows_shrunk_input_and_curl_chain() -> None:
    fuzz = {
        "settings": {"seed": 7, "max_examples": 50},
        "areas": [{"area": "authorize", "examples": 50, "failures": 1}],
        "failures": [
            {
                "check": "fuzz.authorize.no-unregistered-redirect",
                "mutation_class": "redirect-host",
                "message": "redirected to an unregistered URI",
                "input": {"redirect_uri": "http://evil.example/cb"},
                "curl": ["curl -i 'https://as/register'", "curl -i 'https://as/authorize?x'"],
                "seed": 7,
                "status": 302,
            }
        ],
    }
    page = render_html(dataclasses.replace(make_report(), extra={"fuzz": fuzz}))
    section = page[page.index('<section id="fuzz"') : page.index('<section id="results"')]
    assert "fuzz.authorize.no-unregistered-redirect" in section
    assert "&#34;redirect_uri&#34;: &#34;http://evil.example/cb&#34;" in section
    assert "Reproduce with curl (2 steps)" in section
    assert "seed 7" in section
    assert "<td>authorize</td>" in section
