"""The request budget against real reference servers: registrations are reused and counted, a
429 makes later work on that endpoint skip (never a verdict), `--max-registrations` caps what is
sent, and every `error` carries its evidence in every report format."""

from __future__ import annotations

import html
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.config import Config
from harness.report import FILENAMES, render_all
from harness.report.view import exchange_view
from harness.results import Report, Verdict
from harness.session import HarnessSession
from simulators.reference import ReferenceConfig, ReferenceServer

TIMEOUT_S = 180
HARNESS = [sys.executable, "-m", "harness"]
FORM = "application/x-www-form-urlencoded"
FINDINGS = frozenset({Verdict.FAIL, Verdict.WARN})


def run(reference: ReferenceConfig, **session: object) -> tuple[HarnessSession, Report]:
    with ReferenceServer(reference) as server:
        harness = HarnessSession(target_url=server.mcp_url, config=Config(), **session)  # type: ignore[arg-type]
        harness.run()
    return harness, harness.report(started_at="2026-01-01T00:00:00Z", duration_s=1.0)


def budget(report: Report) -> dict[str, object]:
    section = json.loads(json.dumps(report.to_json()))["budget"]
    assert isinstance(section, dict)
    return section


def test_default_run_reuses_one_registration_per_client_metadata() -> None:
    session, report = run(ReferenceConfig())
    spent = budget(report)
    # the AS suite's own clients: the shared one, a second one for the binding checks, one
    # with the redirect canary, four bad-redirect attempts, one without token_endpoint_auth_method;
    # one for the token asked for a made-up resource (rs.wrong-audience without other_resource);
    # plus the baseline profile's client
    assert 0 < int(spent["registrations"]) <= 14, spent  # type: ignore[call-overload]
    assert int(spent["registrations_reused"]) >= 5, spent  # type: ignore[call-overload]
    assert int(spent["token_requests"]) > 0, spent  # type: ignore[call-overload]
    assert int(spent["authorization_requests"]) > 0, spent  # type: ignore[call-overload]
    assert spent["rate_limited"] == []
    assert not [r for r in session.results.values() if r.verdict in FINDINGS | {Verdict.ERROR}]


def test_a_rate_limited_endpoint_skips_later_work_and_is_never_a_verdict() -> None:
    session, report = run(ReferenceConfig(token_rate_limit=0))
    spent = budget(report)
    limited = spent["rate_limited"]
    assert isinstance(limited, list), spent
    assert len(limited) == 1, spent
    assert str(limited[0]["endpoint"]).endswith("/token")
    assert limited[0]["retry_after"] == "900"
    assert int(limited[0]["requests_not_sent"]) > 0
    results = list(session.results.values())
    skipped = [r for r in results if "rate limited (Retry-After 900)" in r.message]
    assert skipped
    assert all(r.verdict is Verdict.SKIP for r in skipped)
    # the correct server with a rate limit: nothing becomes a finding because of it
    assert not [r for r in results if r.verdict in FINDINGS], [
        (r.check, r.message) for r in results if r.verdict in FINDINGS
    ]
    # only requests already in flight when the first 429 came back can be errors
    assert int(spent["token_requests"]) <= 10, spent  # type: ignore[call-overload]


def test_a_rate_limited_registration_endpoint_skips_with_retry_after() -> None:
    session, report = run(ReferenceConfig(register_rate_limit=1))
    limited = budget(report)["rate_limited"]
    assert isinstance(limited, list), budget(report)
    assert limited, budget(report)
    assert str(limited[0]["endpoint"]).endswith("/register")
    results = list(session.results.values())
    assert any("rate limited (Retry-After" in r.message for r in results)
    assert not [r for r in results if r.verdict in FINDINGS], [
        (r.check, r.message) for r in results if r.verdict in FINDINGS
    ]


def test_every_error_carries_its_evidence_in_every_format(tmp_path: Path) -> None:
    # one check, so its token request is the first one the 429 answers (later ones would skip)
    selected = frozenset({("refresh.issued", None)})
    _, report = run(ReferenceConfig(token_rate_limit=0), selected=selected)
    errors = [r for r in report.results if r.verdict is Verdict.ERROR]
    assert errors, [(r.check, r.verdict, r.message) for r in report.results]
    paths = render_all(report, tmp_path)
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    markdown = paths["markdown"].read_text(encoding="utf-8")
    page = paths["html"].read_text(encoding="utf-8")
    cases = {
        case.get("name"): case
        for case in ET.parse(paths["junit"]).getroot().iter("testcase")  # noqa: S314 - ours
    }
    for result in errors:
        assert result.evidence, f"{result.check}: an error without evidence"
        shown = exchange_view(result.evidence[0])
        line = shown.line
        saved = next(r for r in data["results"] if r["check"] == result.check)
        assert saved["evidence"], result.check
        assert line in markdown, result.check
        assert f"<code>{html.escape(f'{shown.method} {shown.url}')}</code>" in page, result.check
        error = cases[result.check].find("error")
        assert error is not None, result.check
        assert line in (error.text or ""), result.check
    assert set(paths) == set(FILENAMES)


@contextmanager
def serve_reference(*options: str) -> Iterator[str]:
    """`mcp-auth-harness serve-reference OPTIONS` as a user starts it; yields its MCP URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and program
        [*HARNESS, "serve-reference", "--port", str(port), *options],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # the first line names the endpoint once it listens
        assert line.startswith("MCP endpoint:"), line
        yield line.split(":", 1)[1].strip()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def post(url: str, body: bytes, content_type: str) -> tuple[int, str | None]:
    request = urllib.request.Request(  # noqa: S310 - a loopback URL of our own server
        url, data=body, method="POST", headers={"content-type": content_type}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return answer.status, answer.headers.get("retry-after")
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers.get("retry-after")


def test_serve_reference_rate_limits_register_and_token() -> None:
    with serve_reference("--register-rate-limit", "1", "--token-rate-limit", "0") as mcp_url:
        base = mcp_url.rsplit("/", 1)[0]
        client = json.dumps({"redirect_uris": ["http://127.0.0.1:9/cb"]}).encode()
        first = post(f"{base}/register", client, "application/json")
        second = post(f"{base}/register", client, "application/json")
        token = post(f"{base}/token", b"grant_type=client_credentials", FORM)
    assert first[0] == 201
    assert second[0] == 429
    assert 0 < int(second[1] or 0) <= 3600
    assert token[0] == 429
    assert 0 < int(token[1] or 0) <= 900


def test_max_registrations_caps_what_a_cli_run_sends(tmp_path: Path) -> None:
    # the server would answer a third registration 429: the cap keeps the run below it
    with serve_reference("--register-rate-limit", "2") as mcp_url:
        done = subprocess.run(  # noqa: S603 - our own interpreter and program
            [
                *HARNESS,
                "run",
                "--target",
                mcp_url,
                "--profile",
                "spec-2025-11-25",
                "--max-registrations",
                "2",
                "--out",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    spent = report["budget"]
    assert spent["max_registrations"] == 2
    assert spent["registrations"] == 2, spent
    assert spent["registrations_refused_by_budget"] > 0, spent
    assert spent["rate_limited"] == [], spent
    messages = [r["message"] for r in report["results"] if r["verdict"] == "skip"]
    assert any("--max-registrations 2 are spent" in m for m in messages), messages
    assert not [r for r in report["results"] if r["verdict"] in {"fail", "warn"}]
    assert done.returncode in {0, 3}, done.stderr[-2000:]
