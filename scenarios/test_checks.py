"""Every check of the catalogue, one test item each (per profile where the check is per profile)."""

from __future__ import annotations

import pytest

from harness.checks import ALL_CHECKS
from harness.pytest_plugin import record
from harness.session import BASELINE_PROFILE, HarnessSession

PLAN = [
    pytest.param(
        check.id,
        BASELINE_PROFILE if check.per_profile else None,
        marks=pytest.mark.mcp_check(
            check.id, profile=BASELINE_PROFILE if check.per_profile else None
        ),
        id=f"{check.id}[{BASELINE_PROFILE}]" if check.per_profile else check.id,
    )
    for check in ALL_CHECKS
]


@pytest.mark.parametrize(("check_id", "profile"), PLAN)
def test_check(
    request: pytest.FixtureRequest, mcp_session: HarnessSession, check_id: str, profile: str | None
) -> None:
    record(request, mcp_session.result(check_id, profile))
