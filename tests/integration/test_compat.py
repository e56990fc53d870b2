"""Compatibility verdicts against the reference server: correct, and under the defects that must
flip them (the issue's "Done when"): a 307 authorization response breaks claude-ai; refusing a
missing `resource` breaks claude-code and codex; no refresh token degrades everyone; exact
loopback port matching breaks vscode and claude-code."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness.checks import ALL_CHECKS
from harness.results import Attribution, Compatibility, CompatVerdict
from harness.session import HarnessSession
from simulators.reference import Defect, ReferenceConfig, ReferenceServer
from tests.integration.pairs import FAST_EXPIRY

# Long enough that the concurrent runs of this module never outlive a fresh token, short
# enough that expiry is observed within FAST_EXPIRY's wait.
TTL_S = 6
WORKS, DEGRADED, BROKEN = CompatVerdict.WORKS, CompatVerdict.DEGRADED, CompatVerdict.BROKEN
SCENARIOS = [c for c in ALL_CHECKS if c.per_profile]


def matrix(profiles: Sequence[str], *defects: str) -> dict[str, Compatibility]:
    """Every scenario of `profiles` against a reference server with `defects`."""
    config = ReferenceConfig(access_token_ttl=TTL_S, defects=frozenset(defects))
    selected = frozenset((c.id, p) for c in SCENARIOS for p in profiles)
    with ReferenceServer(config) as server:
        session = HarnessSession(
            target_url=server.mcp_url, config=FAST_EXPIRY, selected=selected, profiles=profiles
        )
        session.run()
    entries = {entry.profile: entry for entry in session.compatibility}
    assert set(entries) == set(profiles), session.results
    return entries


ALL_CLIENTS = (
    "spec-2025-11-25",
    "spec-2026-07-28",
    "typescript-sdk",
    "python-sdk",
    "vscode",
    "cursor",
    "codex",
    "chatgpt",
    "mcp-remote",
    "claude-desktop",
    "claude-code",
    "claude-ai",
)
# Each server run waits out a short token lifetime once; the runs overlap in threads.
RUNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "correct": (
        (
            "spec-2025-11-25",
            "spec-2026-07-28",
            "spec-2025-03-26",
            "typescript-sdk",
            "python-sdk",
            "vscode",
            "cursor",
            "claude-ai",
            "claude-code",
            "mcp-inspector",
        ),
        (),
    ),
    "authz-307": (("claude-ai", "spec-2025-11-25"), (Defect.AUTHZ_307,)),
    "missing-resource-rejected": (
        ("claude-code", "codex", "spec-2025-11-25"),
        (Defect.MISSING_RESOURCE_REJECTED,),
    ),
    "no-refresh-token": (ALL_CLIENTS, (Defect.NO_REFRESH_TOKEN,)),
    "no-cors": (("mcp-inspector",), (Defect.NO_CORS,)),
    "exact-loopback-port": (
        ("vscode", "claude-code", "spec-2025-11-25"),
        (Defect.EXACT_LOOPBACK_PORT,),
    ),
}


@pytest.fixture(scope="module")
def matrices() -> dict[str, dict[str, Compatibility]]:
    with ThreadPoolExecutor(max_workers=len(RUNS)) as pool:
        futures = {
            name: pool.submit(matrix, profiles, *defects)
            for name, (profiles, defects) in RUNS.items()
        }
        return {name: future.result() for name, future in futures.items()}


def explain(entry: Compatibility) -> str:
    reasons = "; ".join(f"{r.text} ({r.attribution.value})" for r in entry.reasons)
    return f"{entry.profile}: {entry.verdict.value} at {entry.phase}: {reasons}"


def test_correct_server_matrix(matrices: dict[str, dict[str, Compatibility]]) -> None:
    entries = matrices["correct"]
    for name in ("spec-2025-11-25", "spec-2026-07-28", "spec-2025-03-26"):
        assert entries[name].verdict is WORKS, explain(entries[name])
    for name in ("typescript-sdk", "python-sdk", "vscode", "cursor"):
        assert entries[name].verdict is WORKS, explain(entries[name])
    # documented client bugs: claude.ai never refreshes, Claude Code re-presents a rotated
    # refresh token; both degrade users (attributed to the client, with sources)
    for name, phase in (("claude-ai", "long-run"), ("claude-code", "refresh")):
        entry = entries[name]
        assert entry.verdict is DEGRADED, explain(entry)
        assert entry.phase == phase, explain(entry)
        assert all(r.attribution is Attribution.CLIENT and r.sources for r in entry.reasons)
        assert entry.remediation
    assert entries["mcp-inspector"].verdict is WORKS, explain(entries["mcp-inspector"])


def test_no_cors_breaks_the_inspector(matrices: dict[str, dict[str, Compatibility]]) -> None:
    # the Inspector fetches metadata from the browser: it needs CORS headers
    inspector = matrices["no-cors"]["mcp-inspector"]
    assert inspector.verdict is BROKEN, explain(inspector)
    assert inspector.phase == "discover"
    # CORS is an interoperability need, not a spec MUST: a compatibility finding, no `fail`
    assert inspector.reasons[0].attribution is Attribution.INTEROP


def test_307_breaks_claude_ai(matrices: dict[str, dict[str, Compatibility]]) -> None:
    entries = matrices["authz-307"]
    claude = entries["claude-ai"]
    assert claude.verdict is BROKEN, explain(claude)
    assert claude.phase == "authorize"
    reason = claude.reasons[0]
    assert "307" in reason.text
    assert reason.attribution is Attribution.SERVER
    assert "https://github.com/anthropics/claude-ai-mcp/issues/250" in reason.sources
    assert any("302 or 303" in fix for fix in claude.remediation)
    assert entries["spec-2025-11-25"].verdict is WORKS, explain(entries["spec-2025-11-25"])


def test_missing_resource_rejected_breaks_claude_code_and_codex(
    matrices: dict[str, dict[str, Compatibility]],
) -> None:
    entries = matrices["missing-resource-rejected"]
    for name in ("claude-code", "codex"):
        entry = entries[name]
        assert entry.verdict is BROKEN, explain(entry)
        assert entry.phase == "authorize"
        reason = entry.reasons[0]
        assert "`resource` omitted" in reason.text
        assert reason.attribution is Attribution.CLIENT
        assert reason.sources
        assert any("default a missing `resource`" in fix for fix in entry.remediation)
    assert entries["spec-2025-11-25"].verdict is WORKS, explain(entries["spec-2025-11-25"])


def test_no_refresh_token_degrades_everyone(
    matrices: dict[str, dict[str, Compatibility]],
) -> None:
    entries = matrices["no-refresh-token"]
    for name in ALL_CLIENTS:
        entry = entries[name]
        assert entry.verdict is DEGRADED, explain(entry)
        if name != "claude-ai":  # it never asks for one: its own bug already degrades it
            texts = [r.text for r in entry.reasons if r.attribution is Attribution.SERVER]
            assert any("no refresh token" in text for text in texts), explain(entry)


@pytest.mark.parametrize("name", ["vscode", "claude-code"])
def test_exact_loopback_port_breaks(
    matrices: dict[str, dict[str, Compatibility]], name: str
) -> None:
    entries = matrices["exact-loopback-port"]
    entry = entries[name]
    assert entry.verdict is BROKEN, explain(entry)
    assert entry.phase == "authorize"
    assert entry.reasons[0].attribution is Attribution.SERVER
    assert "https://www.rfc-editor.org/rfc/rfc8252#section-7.3" in entry.reasons[0].sources
    assert entries["spec-2025-11-25"].verdict is WORKS, explain(entries["spec-2025-11-25"])
