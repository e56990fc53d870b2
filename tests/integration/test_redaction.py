"""A full run writes no secret it saw, in any file: fingerprints only."""

from __future__ import annotations

import re
from pathlib import Path

from harness.report import render_all
from harness.session import HarnessSession
from simulators.reference import ReferenceConfig, ReferenceServer
from tests.integration.pairs import FAST_EXPIRY, FAST_TTL_S


def test_no_secret_reaches_any_report_file(tmp_path: Path) -> None:
    with ReferenceServer(ReferenceConfig(access_token_ttl=FAST_TTL_S)) as server:
        session = HarnessSession(target_url=server.mcp_url, config=FAST_EXPIRY)
        session.run()
        issued = server.state.oauth.access_tokens_issued
    written = render_all(
        session.report(started_at="2026-11-27T00:00:00Z", duration_s=1.0), tmp_path
    )
    secrets = session.vault.known()
    assert issued >= 3
    assert len(secrets) >= issued, "the vault saw every token the server issued to the harness"
    for path in written.values():
        text = Path(path).read_text(encoding="utf-8")
        leaked = [s[:4] + "…" for s in secrets if s in text]
        assert not leaked, f"{path.name} contains secrets starting {leaked}"
        assert not re.search(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ", text), f"a JWT in {path.name}"
    assert "sha256:" in Path(written["json"]).read_text(encoding="utf-8")
