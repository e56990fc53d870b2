"""The HTML report in a real browser (headless Chromium over the DevTools protocol): it loads
with no console errors and no network, a screenshot is taken, the grid and a finding's evidence
open when clicked and by keyboard, and headings, labels and contrast hold."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.report import render_html
from tests.browser.cdp import Page, browser
from tests.report.hostile import hostile_report

HELPERS = (Path(__file__).parent / "page_audit.js").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Page, Path]]:
    folder = tmp_path_factory.mktemp("browser")
    html = folder / "report.html"
    html.write_text(render_html(hostile_report()), encoding="utf-8")
    with browser(folder / "profile") as tab:
        for domain in ("Page", "Runtime", "Log", "Network"):
            tab.send(f"{domain}.enable")
        yield tab, folder


@pytest.fixture
def page(session: tuple[Page, Path]) -> tuple[Page, Path]:
    """The report freshly loaded (each test starts from the page as written)."""
    tab, folder = session
    tab.events.clear()
    tab.send("Page.navigate", url=(folder / "report.html").as_uri())
    tab.wait_for("Page.loadEventFired")
    tab.evaluate(HELPERS)
    return tab, folder


def _click(tab: Page, selector: str) -> None:
    point = tab.evaluate(f"window.__center({json.dumps(selector)})")
    for kind in ("mousePressed", "mouseReleased"):
        tab.send(
            "Input.dispatchMouseEvent",
            type=kind,
            x=point["x"],
            y=point["y"],
            button="left",
            clickCount=1,
        )


def _key(tab: Page, key: str) -> None:
    codes = {"Enter": (13, "\r"), "Tab": (9, ""), " ": (32, " ")}
    code, text = codes[key]
    name = "Space" if key == " " else key
    tab.send(
        "Input.dispatchKeyEvent",
        type="keyDown",
        key=key,
        code=name,
        windowsVirtualKeyCode=code,
        text=text,
    )
    tab.send("Input.dispatchKeyEvent", type="keyUp", key=key, code=name, windowsVirtualKeyCode=code)


def _state(tab: Page, button_selector: str) -> tuple[str, bool]:
    expanded, hidden = page_eval(tab, f"window.__cell({json.dumps(button_selector)})")
    return str(expanded), bool(hidden)


def page_eval(tab: Page, expression: str) -> list[object]:
    value = tab.evaluate(expression)
    assert isinstance(value, list)
    return value


def test_loads_without_errors_or_network_and_takes_a_screenshot(page: tuple[Page, Path]) -> None:
    tab, folder = page
    shot = tab.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
    png = base64.b64decode(shot["data"])
    (folder / "report.png").write_bytes(png)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) > 20_000, "a rendered page, not a blank one"
    errors = [
        e
        for e in tab.events
        if e.get("method") == "Runtime.exceptionThrown"
        or (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] == "error")
        or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
    ]
    assert errors == []
    dialogs = [e for e in tab.events if e.get("method") == "Page.javascriptDialogOpening"]
    assert dialogs == [], "no injected alert() ran"
    requests = [
        e["params"]["request"]["url"]
        for e in tab.events
        if e.get("method") == "Network.requestWillBeSent"
    ]
    assert all(url.startswith(("file://", "data:")) for url in requests), requests
    assert tab.evaluate("document.title").startswith("mcp-auth-harness report")
    width = tab.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], "long hostile strings wrap instead of widening the page"


def test_a_grid_cell_opens_on_click_and_only_one_at_a_time(page: tuple[Page, Path]) -> None:
    tab, _ = page
    first, second = 'button[aria-controls="cell-0-2"]', 'button[aria-controls="cell-1-5"]'
    assert _state(tab, first) == ("false", True)
    _click(tab, first)
    assert _state(tab, first) == ("true", False)
    text = tab.evaluate("document.getElementById('cell-0-2').innerText")
    assert "authorization response used HTTP 307" in text
    assert "answer the authorization request with 302 or 303" in text
    _click(tab, second)
    assert _state(tab, second) == ("true", False)
    assert _state(tab, first) == ("false", True)
    _click(tab, second)
    assert _state(tab, second) == ("false", True)


def test_a_grid_cell_opens_by_keyboard(page: tuple[Page, Path]) -> None:
    tab, _ = page
    tab.evaluate("document.querySelector('button[aria-controls=\"cell-2-2\"]').focus()")
    _key(tab, "Tab")  # keyboard focus moves on to the next cell
    focused = tab.evaluate("document.activeElement.getAttribute('aria-controls')")
    assert focused == "cell-2-3"
    _key(tab, "Enter")
    assert _state(tab, 'button[aria-controls="cell-2-3"]') == ("true", False)
    assert "PWNED" in tab.evaluate("document.getElementById('cell-2-3').innerText")
    _key(tab, " ")
    assert _state(tab, 'button[aria-controls="cell-2-3"]') == ("false", True)


def test_a_findings_evidence_opens_on_click_and_by_keyboard(page: tuple[Page, Path]) -> None:
    tab, _ = page
    evidence = "#findings details.evidence"
    assert tab.evaluate(f"document.querySelector('{evidence}').open") is False
    _click(tab, f"{evidence} > summary")
    assert tab.evaluate(f"document.querySelector('{evidence}').open") is True
    shown = tab.evaluate(f"document.querySelector('{evidence}').innerText")
    assert "Request headers" in shown
    assert "x-evil: <script>alert('PWNED')</script>" in shown, "hostile text shown as text"
    second = "#errors details.evidence"
    tab.evaluate(f"document.querySelector('{second} > summary').focus()")
    _key(tab, "Enter")
    assert tab.evaluate(f"document.querySelector('{second}').open") is True


def test_headings_labels_and_contrast(page: tuple[Page, Path]) -> None:
    tab, _ = page
    structure = tab.evaluate("window.__structure()")
    assert structure["problems"] == []
    assert structure["headings"] > 10
    tab.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    tab.evaluate("document.querySelectorAll('.cellpanel').forEach((p) => { p.hidden = false; })")
    assert tab.evaluate("window.__contrast()") == []


def test_the_contrast_audit_can_fail(page: tuple[Page, Path]) -> None:
    tab, _ = page
    tab.evaluate(
        "document.body.insertAdjacentHTML('beforeend', '<p id=low style=\"color:#bbb\">pale</p>')"
    )
    assert any('"pale"' in problem for problem in tab.evaluate("window.__contrast()"))
