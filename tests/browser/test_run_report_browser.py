"""A real run's report (the embedded reference with a defect that breaks some clients) in
headless Chromium: no console errors, one grid row per profile, every cell opens."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from simulators.reference import Defect, ReferenceConfig, ReferenceServer
from tests.browser.cdp import browser

HELPERS = (Path(__file__).parent / "page_audit.js").read_text(encoding="utf-8")


def test_a_real_runs_report_in_the_browser(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with ReferenceServer(ReferenceConfig(defects=frozenset({Defect("authz-307")}))) as server:
        done = subprocess.run(  # noqa: S603 - our own interpreter and program
            [sys.executable, "-m", "harness", "run", "--target", server.mcp_url, "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert (out / "report.html").exists(), done.stderr[-2000:]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["target"]["spec_revision"] == "2025-11-25"
    profiles = [c["profile"] for c in report["compatibility"]]
    assert len(profiles) > 3
    assert any(c["verdict"] == "broken" for c in report["compatibility"])
    with browser(tmp_path / "profile") as tab:
        for domain in ("Page", "Runtime", "Log"):
            tab.send(f"{domain}.enable")
        tab.send("Page.navigate", url=(out / "report.html").as_uri())
        tab.wait_for("Page.loadEventFired")
        tab.evaluate(HELPERS)
        rows = tab.evaluate(
            "[...document.querySelectorAll('table.grid tbody th')].map(t => t.textContent)"
        )
        assert rows == profiles
        broken = tab.evaluate("document.querySelectorAll('table.grid td.v-broken button').length")
        assert broken >= 1
        opened = tab.evaluate(
            """[...document.querySelectorAll('button.cell')].every((b) => {
                 b.click();
                 return b.getAttribute('aria-expanded') === 'true'
                   && !document.getElementById(b.getAttribute('aria-controls')).hidden;
               })"""
        )
        assert opened is True
        assert tab.evaluate("window.__structure()")["problems"] == []
        errors = [
            e
            for e in tab.events
            if e.get("method") in {"Runtime.exceptionThrown", "Page.javascriptDialogOpening"}
            or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
        ]
        assert errors == []
