"""`simulate-client`: a profile acting against the reference server, transcript redacted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.cli import main
from harness.config import Config
from harness.profiles.catalogue import load_profiles
from harness.profiles.simulate import from_environment
from simulators.reference import ReferenceConfig, ReferenceServer

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.")


def test_the_baseline_connects_and_calls_with_a_redacted_transcript(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with ReferenceServer(ReferenceConfig()) as server:
        code = main(["simulate-client", "--profile", "spec-2025-11-25", server.mcp_url])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "→ POST " + server.mcp_url in out
    assert "✓ token" in out
    assert "# ok: tools/call" in out
    assert "code=sha256:" in out
    assert not JWT.search(out), "an access token reached the transcript"


def test_a_quirk_that_breaks_says_why_and_what_fixes_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with ReferenceServer(ReferenceConfig(defects=frozenset({"authz-307"}))) as server:
        code = main(["simulate-client", "--profile", "claude-ai", server.mcp_url])
    out = capsys.readouterr().out
    assert code == 1
    assert "✗ authorization: authorization response used HTTP 307" in out
    assert "broken (server)" in out
    assert "fix: answer the authorization request with 302 or 303" in out


def test_an_unknown_profile_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate-client", "--profile", "nope", "http://127.0.0.1:9/mcp"]) == 2
    assert "unknown profile 'nope'" in capsys.readouterr().err


def test_the_conformance_environment_supplies_pre_registered_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MCP_CONFORMANCE_SCENARIO", "auth/pre-registration")
    monkeypatch.setenv(
        "MCP_CONFORMANCE_CONTEXT",
        '{"name": "x", "client_id": "cid", "client_secret": "s3cr3t-value"}',
    )
    profile = load_profiles()["spec-2025-11-25"]
    sim = from_environment(profile, "http://127.0.0.1:9/mcp", Config(), "auto", None)
    assert sim.conformance_scenario == "auth/pre-registration"
    assert sim.config.client is not None
    assert sim.config.client.client_id == "cid"
    assert "s3cr3t-value" in sim.config.secrets()


def test_a_user_profile_can_pin_a_quirk_the_built_ins_only_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "lazy.toml").write_text(
        'name = "lazy"\ntitle = "never redeems"\nclient = "x"\nkind = "client"\n'
        'observed = "2026-07"\n[token_use]\nredeems_code = { value = false, source = '
        '"https://github.com/anthropics/claude-ai-mcp/issues/653", observed = "2026-07" }\n'
    )
    with ReferenceServer(ReferenceConfig()) as server:
        code = main(
            ["simulate-client", "--profile-dir", str(tmp_path), "--profile", "lazy", server.mcp_url]
        )
    out = capsys.readouterr().out
    assert code == 1
    assert "✗ token: this client never sends the code to the token endpoint" in out
    assert "broken (client)" in out
