"""The embedded default target: without --mcp-target or [target].url, the bundled reference server
is started on a free loopback port for the session and used as the target."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulators.reference import ReferenceConfig, ReferenceServer

# Short-lived access tokens let rs.expired observe a real expiry within the default wait bound.
EMBEDDED_TOKEN_TTL_S = 5


@pytest.fixture(scope="session")
def mcp_target_url(mcp_target_url: str | None) -> Iterator[str]:
    if mcp_target_url:
        yield mcp_target_url
        return
    with ReferenceServer(ReferenceConfig(access_token_ttl=EMBEDDED_TOKEN_TTL_S)) as server:
        yield server.mcp_url
