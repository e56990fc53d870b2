"""The check catalogue: every check the harness knows, by contract id.

Checks judge evidence and never send requests; see `harness.checks.base`.
"""

from __future__ import annotations

from harness.checks import bearer, discovery, scenarios
from harness.checks.base import AnyCheck, Check, Evidence, check

ALL_CHECKS: tuple[AnyCheck, ...] = (*discovery.CHECKS, *bearer.CHECKS, *scenarios.CHECKS)
BY_ID: dict[str, AnyCheck] = {c.id: c for c in ALL_CHECKS}

__all__ = ["ALL_CHECKS", "BY_ID", "AnyCheck", "Check", "Evidence", "check"]
