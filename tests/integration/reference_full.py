"""A reference server wired for every check, and the configuration that tells the harness so.

The resource-server checks need what a real deployment would configure: a second resource of the
same authorization server (`[target].other_resource`), a second user (`[login.second_user]`), a
privileged tool (`[[tools]]`) and an upstream canary the server's upstream URL points at. The
canary port is picked free before the server starts (the server must know its upstream URL).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

from harness.checks import BY_ID
from harness.config import Config, ToolConfig, UpstreamCanary, UserCredentials
from harness.results import Result
from harness.session import BASELINE_PROFILE, HarnessSession
from simulators.reference import Defect, ReferenceConfig, ReferenceServer
from simulators.reference.state import ReferenceState
from tests.integration.pairs import FAST_EXPIRY, FAST_TTL_S

UPSTREAM_PATH = "/v1/sync"
PRIVILEGED = ToolConfig(name="delete_note", requires=("notes:write",), arguments={"id": "1"})


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def full_config(server: ReferenceServer, canary_port: int, base: Config = FAST_EXPIRY) -> Config:
    return replace(
        base,
        other_resource=server.other_mcp_url,
        login=replace(
            base.login, second_user=UserCredentials(username="bob", password="bob-password")
        ),
        tools=(PRIVILEGED,),
        upstream_canary=UpstreamCanary(port=canary_port, tool=ToolConfig(name="fetch_upstream")),
    )


@contextmanager
def full_reference(
    names: frozenset[str] = frozenset(), *, reference: ReferenceConfig | None = None
) -> Iterator[tuple[ReferenceServer, Config]]:
    """A running reference server with the named defects."""
    defects = frozenset(Defect(n) for n in names)
    port = free_port()
    base = reference or ReferenceConfig(access_token_ttl=FAST_TTL_S)
    config = replace(
        base,
        defects=base.defects | defects,
        upstream_url=f"http://127.0.0.1:{port}{UPSTREAM_PATH}",
    )
    with ReferenceServer(config) as server:
        yield server, full_config(server, port)


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
