"""The report names the protocol revision the target actually accepted, not "unknown"."""

from __future__ import annotations

import pytest

from harness.session import HarnessSession
from simulators.reference import ReferenceConfig, ReferenceServer
from tests.integration.pairs import FAST_EXPIRY


@pytest.mark.parametrize("check", ["rs.every-request", "rs.query-token"])
@pytest.mark.parametrize(
    ("spec", "expected"),
    [("auto", "2025-11-25"), ("2025-06-18", "2025-06-18"), ("2026-07-28", "2026-07-28")],
)
def test_report_records_the_negotiated_revision(check: str, spec: str, expected: str) -> None:
    with ReferenceServer(ReferenceConfig()) as server:
        session = HarnessSession(
            target_url=server.mcp_url,
            config=FAST_EXPIRY,
            spec=spec,
            selected=frozenset({(check, None)}),
        )
        session.run()
    report = session.report(started_at="2026-12-03T00:00:00Z", duration_s=1.0)
    assert report.spec_revision == expected
    assert report.to_json()["target"] == {"url": server.mcp_url, "spec_revision": expected}
