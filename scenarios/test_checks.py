"""Every check of the catalogue, one test item each: per profile where the check is per profile
(every selected client profile), once otherwise."""

from __future__ import annotations

import pytest

from harness.checks import ALL_CHECKS
from harness.pytest_plugin import record, selected_profiles
from harness.session import HarnessSession


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "check_id" not in metafunc.fixturenames:
        return
    profiles = selected_profiles(metafunc.config)
    plan = []
    for check in ALL_CHECKS:
        for profile in profiles if check.per_profile else (None,):
            plan.append(
                pytest.param(
                    check.id,
                    profile,
                    marks=pytest.mark.mcp_check(check.id, profile=profile),
                    id=f"{check.id}[{profile}]" if profile else check.id,
                )
            )
    metafunc.parametrize(("check_id", "profile"), plan)


def test_check(
    request: pytest.FixtureRequest, mcp_session: HarnessSession, check_id: str, profile: str | None
) -> None:
    record(request, mcp_session.result(check_id, profile))
