"""Spec-correct reference variants that some clients cannot use: every built-in profile runs
against each, nothing is `fail` (the server breaks no MUST), and the affected profile is
`broken` with the attribution and fix the issue asks for while its scenario is `warn`:

- no CORS headers: the browser-based MCP Inspector cannot read the metadata (`interop`);
- an issuer with a path: the 2025-03-26 client looks only at the origin and its default
  endpoints (`revision`);
- a server of the handshake revisions only: the 2026-07-28 client falls back to `initialize`
  (its revision's backward-compatibility rule) and works; a client without that fallback is
  broken (`revision`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.results import Attribution, CompatVerdict, Verdict
from harness.session import HarnessSession
from simulators.reference import Defect, ReferenceConfig, ReferenceServer
from tests.integration.pairs import FAST_EXPIRY

TTL_S = 30  # the whole catalogue runs once per variant; no token may expire under it
MODERN_ONLY = """\
name = "modern-only"
title = "A 2026-07-28 client without the handshake fallback"
client = "test"
kind = "spec"
observed = "2026-07-28"

[identity]
source = "https://modelcontextprotocol.io/specification/2026-07-28/basic/versioning"
observed = "2026-07-28"
protocol_version = "2026-07-28"
handshake_fallback = false
"""
VARIANTS = {
    "no-cors": ReferenceConfig(access_token_ttl=TTL_S, defects=frozenset({Defect.NO_CORS})),
    "issuer-path": ReferenceConfig(access_token_ttl=TTL_S, issuer_path="/tenant1"),
    "stateful-only": ReferenceConfig(access_token_ttl=TTL_S, stateless_revision=False),
}


def _run(reference: ReferenceConfig, profile_dir: Path) -> HarnessSession:
    with ReferenceServer(reference) as server:
        session = HarnessSession(
            target_url=server.mcp_url,
            config=FAST_EXPIRY,
            profiles=(),  # every profile, the modern-only test profile included
            profile_dirs=(str(profile_dir),),
        )
        session.run()
    return session


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, HarnessSession]:
    folder = tmp_path_factory.mktemp("profiles")
    (folder / "modern-only.toml").write_text(MODERN_ONLY, encoding="utf-8")
    # one after the other: three whole-catalogue runs at once time out on a busy 2-core machine
    return {name: _run(reference, folder) for name, reference in VARIANTS.items()}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_no_fail_on_a_spec_correct_variant(sessions: dict[str, HarnessSession], name: str) -> None:
    bad = {
        f"{check} [{profile}]": f"{r.verdict.value}: {r.message}"
        for (check, profile), r in sessions[name].results.items()
        if r.verdict in {Verdict.FAIL, Verdict.ERROR}
    }
    assert not bad, "\n".join(f"{k}: {v}" for k, v in sorted(bad.items()))


@pytest.mark.parametrize(
    ("name", "profile", "attribution", "fix"),
    [
        ("no-cors", "mcp-inspector", Attribution.INTEROP, "CORS"),
        ("issuer-path", "spec-2025-03-26", Attribution.REVISION, "at the MCP origin"),
        ("stateful-only", "modern-only", Attribution.REVISION, "dual-era"),
    ],
)
def test_the_affected_client_is_broken_and_its_scenario_warns(
    sessions: dict[str, HarnessSession],
    name: str,
    profile: str,
    attribution: Attribution,
    fix: str,
) -> None:
    session = sessions[name]
    entry = next(e for e in session.compatibility if e.profile == profile)
    assert entry.verdict is CompatVerdict.BROKEN, entry
    assert entry.reasons[0].attribution is attribution, entry
    assert any(fix in line for line in entry.remediation), entry.remediation
    happy = session.result("scenario.happy-path", profile)
    assert happy.verdict is Verdict.WARN, happy.message
    assert f"attribution: {attribution.value}" in happy.message
    assert "no MUST is broken" in happy.message


def test_the_2026_client_falls_back_to_the_handshake(
    sessions: dict[str, HarnessSession],
) -> None:
    session = sessions["stateful-only"]
    entry = next(e for e in session.compatibility if e.profile == "spec-2026-07-28")
    assert entry.verdict is CompatVerdict.WORKS, entry
    happy = session.result("scenario.happy-path", "spec-2026-07-28")
    assert happy.verdict is Verdict.PASS, happy.message
    assert "fall back to initialize" in happy.message
