"""The stateless areas: mutations of the target's authorization, token, registration and bearer
requests (harness/fuzz/areas.py)."""

from __future__ import annotations

import pytest

from harness.fuzz.areas import AREAS
from scenarios.fuzz.judge import FuzzTarget, fuzz_item


@pytest.mark.parametrize("area", list(AREAS))
def test_fuzz_area(fuzz_target: FuzzTarget, area: str) -> None:
    fuzz_item(fuzz_target, area)
