"""Shared machinery for the check self-tests: one check, one reference server, one verdict.

Each `test_pairs_*.py` module lists `DEFECT_CASES` (check id, defect, expected verdict) for the
checks it covers; `test_pairs_coverage.py` proves every check of the catalogue has a case.
"""

from __future__ import annotations

from harness.checks import BY_ID
from harness.config import Config, TokenHints
from harness.results import Result, Verdict
from harness.session import BASELINE_PROFILE, HarnessSession
from simulators.reference import Defect, ReferenceConfig, ReferenceServer

DefectCase = tuple[str, str, Verdict]

# Short lifetimes keep rs.expired quick (6 s tokens, 1 s leeway) yet outlast a loaded run.
FAST_TTL_S = 6
FAST_EXPIRY = Config(tokens=TokenHints(max_expiry_wait_s=10, expiry_leeway_s=1))


def run_check(
    check_id: str,
    defects: frozenset[Defect] = frozenset(),
    *,
    reference: ReferenceConfig | None = None,
    config: Config = FAST_EXPIRY,
) -> Result:
    """Judge one check against a fresh reference server with `defects` switched on."""
    check = BY_ID[check_id]
    profile = BASELINE_PROFILE if check.per_profile else None
    base = reference or ReferenceConfig(access_token_ttl=FAST_TTL_S)
    server_config = ReferenceConfig(**{**_fields(base), "defects": base.defects | defects})
    with ReferenceServer(server_config) as server:
        session = HarnessSession(
            target_url=server.mcp_url, config=config, selected=frozenset({(check_id, profile)})
        )
        session.run()
    result = session.result(check_id, profile)
    assert result.message, "every verdict explains itself"
    return result


def ids(cases: list[DefectCase]) -> list[str]:
    return [f"{check}-{defect}" for check, defect, _ in cases]


def _fields(config: ReferenceConfig) -> dict[str, object]:
    return {name: getattr(config, name) for name in config.__dataclass_fields__}
