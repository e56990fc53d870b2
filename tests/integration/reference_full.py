"""The fully configured reference (`simulators.embedded`) with named defects, for the pair tests.

`run_full` judges one check against it with the pair tests' short token lifetimes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

from harness.checks import BY_ID
from harness.config import Config
from harness.results import Result
from harness.session import BASELINE_PROFILE, HarnessSession
from simulators import embedded
from simulators.embedded import PRIVILEGED
from simulators.reference import Defect, ReferenceConfig, ReferenceServer
from simulators.reference.state import ReferenceState
from tests.integration.pairs import FAST_EXPIRY, FAST_TTL_S

__all__ = ["PRIVILEGED", "full_reference", "run_full"]


@contextmanager
def full_reference(
    names: frozenset[str] = frozenset(), *, reference: ReferenceConfig | None = None
) -> Iterator[tuple[ReferenceServer, Config]]:
    """A running, fully configured reference server with the named defects."""
    base = reference or ReferenceConfig(access_token_ttl=FAST_TTL_S)
    defects = base.defects | frozenset(Defect(n) for n in names)
    with embedded.full_reference(replace(base, defects=defects), FAST_EXPIRY) as wired:
        yield wired


def run_full(
    check_id: str,
    names: frozenset[str] = frozenset(),
    *,
    reference: ReferenceConfig | None = None,
    configure: Callable[[Config], Config] | None = None,
    spec: str = "auto",
) -> tuple[Result, ReferenceState]:
    """Judge one check against a fully configured reference server (`configure` may change the
    configuration); the server's state afterwards, to prove what did or did not happen."""
    check = BY_ID[check_id]
    profile = BASELINE_PROFILE if check.per_profile else None
    with full_reference(names, reference=reference) as (server, full):
        session = HarnessSession(
            target_url=server.mcp_url,
            config=configure(full) if configure else full,
            spec=spec,
            selected=frozenset({(check_id, profile)}),
        )
        session.run()
    result = session.result(check_id, profile)
    assert result.message, "every verdict explains itself"
    return result, server.state
