"""A target whose discovery answers but whose authorization server stalls: no scenario.* check
may pass, since no journey reached the phase it judges."""

from __future__ import annotations

import pytest

from harness.config import load_config
from harness.results import Verdict
from harness.session import HarnessSession
from tests.hostile.servers import HANDLERS, documents_handler, serving

PRM_PATH = "/.well-known/oauth-protected-resource/mcp"
PROFILES = ("claude-ai", "claude-code", "vscode", "spec-2025-11-25")


@pytest.mark.parametrize("check_id", ["scenario.refresh-never", "scenario.happy-path"])
def test_no_scenario_passes_against_a_stalled_authorization_server(check_id: str) -> None:
    documents: dict[str, object] = {}
    with serving(HANDLERS["stall"]) as stalled, serving(
        documents_handler(documents, prm_path=PRM_PATH)
    ) as base:
        documents[PRM_PATH] = {"resource": f"{base}/mcp", "authorization_servers": [stalled]}
        session = HarnessSession(
            target_url=f"{base}/mcp",
            config=load_config(None),
            selected=frozenset({(check_id, p) for p in PROFILES}),
            profiles=PROFILES,
            deadline_s=30,
        )
        session.run()
    for profile in PROFILES:
        result = session.result(check_id, profile)
        assert result.verdict in {Verdict.SKIP, Verdict.ERROR}, (profile, result.message)
        assert result.message
        if result.verdict is Verdict.ERROR:
            assert result.evidence, (profile, result.message)
