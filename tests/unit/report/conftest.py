"""A sample report exercising every verdict, a profile-scoped result and both attributions, and
snapshot comparison of renderings after normalising what legitimately varies (times, version).

Set `MCP_HARNESS_UPDATE_SNAPSHOTS=1` to rewrite the stored snapshots instead of comparing them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.results import (
    Attribution,
    Compatibility,
    CompatVerdict,
    Level,
    Reason,
    Report,
    Result,
    Severity,
    Verdict,
)

MCP = "https://mcp.example.com/mcp"

EXPIRED_EVIDENCE: tuple[dict[str, object], ...] = (
    {
        "request": {
            "method": "POST",
            "url": MCP,
            "headers": {
                "authorization": "Bearer sha256:1f2e3d4c",
                "content-type": "application/json",
            },
            "body_excerpt": '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
        },
        "response": {
            "status": 200,
            "headers": {"content-type": "text/html"},
            "body_excerpt": "<script>alert('owned')</script> & friends",
        },
    },
    {
        "request": {"method": "GET", "url": MCP, "headers": {}},
        "response": {"status": 200, "headers": {}, "body_excerpt": ""},
    },
    {
        "request": {"method": "DELETE", "url": MCP, "headers": {}},
        "error": "connection reset",
    },
)


def make_report() -> Report:
    results = (
        Result(
            check="disc.prm.served",
            title="Protected resource metadata is served",
            level=Level.MUST,
            severity=Severity.HIGH,
            verdict=Verdict.PASS,
            message="PRM served at the path-suffixed well-known URI",
            spec_refs=("RFC 9728 §3",),
        ),
        Result(
            check="rs.expired",
            title="An expired token gets 401",
            level=Level.MUST,
            severity=Severity.HIGH,
            verdict=Verdict.FAIL,
            message="expired token was accepted (200)",
            spec_refs=("MCP 2025-11-25 Authorization §Token Handling", "OAuth 2.1 §5.2"),
            evidence=EXPIRED_EVIDENCE,
            reproduce=f"curl -i -X POST '{MCP}' -H 'Authorization: Bearer $TOKEN'",
        ),
        Result(
            check="token.no-store",
            title="Token responses are not cached",
            level=Level.SHOULD,
            severity=Severity.MEDIUM,
            verdict=Verdict.WARN,
            message="Cache-Control was 'private | max-age=60'\nexpected no-store",
            spec_refs=("OAuth 2.1 §3.2.3",),
        ),
        Result(
            check="refresh.rotation",
            title="Refresh tokens rotate",
            level=Level.SHOULD,
            severity=Severity.MEDIUM,
            verdict=Verdict.SKIP,
            message="the server issues no refresh tokens",
        ),
        Result(
            check="authz.iss",
            title="The authorization response carries iss",
            level=Level.MUST,
            severity=Severity.MEDIUM,
            verdict=Verdict.ERROR,
            message="gathering evidence failed: \x1b[31mtimeout\x1b[0m after 10s",
        ),
        Result(
            check="scenario.expiry-mid-run",
            title="A token expiring mid-run is refreshed",
            level=Level.MUST,
            severity=Severity.CRITICAL,
            verdict=Verdict.FAIL,
            profile="claude-ai",
            message="the tool call after expiry got 500",
        ),
    )
    compatibility = (
        Compatibility(
            profile="claude-ai",
            verdict=CompatVerdict.BROKEN,
            phase="authorize",
            reasons=(
                Reason(
                    text=(
                        "authorization response used HTTP 307; "
                        "this client's callback accepts GET only"
                    ),
                    attribution=Attribution.SERVER,
                ),
                Reason(
                    text="the callback | drops the state",
                    attribution=Attribution.CLIENT,
                    sources=("https://github.com/anthropics/claude-ai-mcp/issues/250",),
                ),
            ),
            remediation=("answer the authorization request with 302 or 303",),
        ),
        Compatibility(
            profile="cursor",
            verdict=CompatVerdict.DEGRADED,
            phase="refresh",
            reasons=(
                Reason(
                    text="the client never refreshes; users log in again every hour",
                    attribution=Attribution.CLIENT,
                    sources=("https://example.org/cursor/issue/1", "javascript:alert(1)"),
                ),
            ),
            remediation=("issue access tokens that live longer than a working session",),
        ),
    )
    return Report(
        tool_version="0.1.0",
        target_url=MCP,
        spec_revision="2025-11-25",
        started_at="2026-11-27T10:00:00Z",
        duration_s=4.2,
        seed=12345,
        results=results,
        compatibility=compatibility,
    )


@pytest.fixture
def sample_report() -> Report:
    return make_report()


SNAPSHOTS = Path(__file__).parent / "snapshots"
_NORMALISE = (
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z"), "<TIME>"),
    (re.compile(r"(Duration:\*\* )[\d.]+ s"), r"\1<DURATION>"),
    (re.compile(r'(time=")[\d.]+(")'), r"\1<DURATION>\2"),
    (re.compile(r"(mcp-auth-harness )\d+\.\d+\.\d+\S*"), r"\1<VERSION>"),
    (re.compile(r'(name="tool_version" value=")[^"]*(")'), r"\1<VERSION>\2"),
)


def normalise(text: str) -> str:
    for pattern, replacement in _NORMALISE:
        text = pattern.sub(replacement, text)
    return text


def _assert_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    actual = normalise(text)
    if os.environ.get("MCP_HARNESS_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
        return
    assert path.exists(), f"no snapshot {path}; run with MCP_HARNESS_UPDATE_SNAPSHOTS=1"
    assert actual == path.read_text(encoding="utf-8")


@pytest.fixture
def assert_snapshot() -> Callable[[str, str], None]:
    return _assert_snapshot
