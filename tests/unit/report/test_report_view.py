from __future__ import annotations

from harness.report.view import (
    check_prefix,
    exchange_view,
    finding_groups,
    printable,
    summary_text,
)
from harness.results import Level, Report, Result, Severity, Verdict


def _result(check: str, verdict: Verdict, severity: Severity = Severity.MEDIUM) -> Result:
    return Result(
        check=check, title="", level=Level.MUST, severity=severity, verdict=verdict, message=""
    )


def test_check_prefix() -> None:
    assert check_prefix("rs.jwt.alg-none") == "rs"
    assert check_prefix("scenario") == "scenario"


def test_groups_by_verdict_then_contract_prefix_then_severity() -> None:
    results = [
        _result("zzz.custom", Verdict.FAIL),
        _result("scope.insufficient-403", Verdict.WARN),
        _result("rs.origin", Verdict.FAIL, Severity.LOW),
        _result("disc.clean-404", Verdict.ERROR),
        _result("rs.expired", Verdict.FAIL, Severity.CRITICAL),
        _result("disc.prm.served", Verdict.FAIL),
        _result("disc.as.issuer-match", Verdict.PASS),
        _result("reg.dcr.accepts-valid", Verdict.SKIP),
    ]
    groups = finding_groups(results)
    shape = [(g.verdict, g.prefix, [r.check for r in g.results]) for g in groups]
    assert shape == [
        (Verdict.FAIL, "disc", ["disc.prm.served"]),
        (Verdict.FAIL, "rs", ["rs.expired", "rs.origin"]),
        (Verdict.FAIL, "zzz", ["zzz.custom"]),
        (Verdict.WARN, "scope", ["scope.insufficient-403"]),
        (Verdict.ERROR, "disc", ["disc.clean-404"]),
    ]


def test_exchange_view_tolerates_odd_evidence() -> None:
    view = exchange_view({"request": "nonsense", "response": {"status": "200", "headers": [1]}})
    assert (view.method, view.url, view.status, view.request_headers) == ("?", "", None, ())
    assert view.outcome == "no response"
    listed = exchange_view(
        {"request": {"method": "GET", "url": "u", "headers": [["a", "b"]]}, "error": "boom"}
    )
    assert listed.request_headers == (("a", "b"),)
    assert listed.line == "GET u → error: boom"


def test_printable_keeps_text_and_shows_controls() -> None:
    assert printable("a\tb\nc\r\n") == "a\tb\nc\r\n"
    assert printable("\x00\x1b\x7f\x9b\ud800") == "\\x00\\x1b\\x7f\\x9b\\ud800"


def test_summary_text_order() -> None:
    report = Report(
        tool_version="0",
        target_url="u",
        spec_revision=None,
        started_at="t",
        duration_s=0,
        seed=0,
        results=(_result("a.b", Verdict.ERROR),),
    )
    assert summary_text(report) == "0 pass · 0 fail · 0 warn · 0 skip · 1 error"
