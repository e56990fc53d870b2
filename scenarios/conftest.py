"""The embedded default target: without --mcp-target or [target].url, the bundled reference server
is started on a free loopback port for the session, fully configured (second user, other resource,
privileged tool, upstream canary: `simulators.embedded`) so that every check runs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from harness.config import Config, TokenHints
from simulators.embedded import full_reference
from simulators.reference import ReferenceConfig

# Short-lived access tokens let rs.expired observe a real expiry within the default wait bound
# (the reference allows no leeway past `exp`), yet outlast the token's use on a busy machine.
EMBEDDED_TOKEN_TTL_S = 12
EMBEDDED_TOKENS = TokenHints(expiry_leeway_s=1)


@pytest.fixture(scope="session")
def mcp_config(pytestconfig: pytest.Config, mcp_config: Config) -> Iterator[Config]:
    """The user's configuration; with no target at all, the embedded reference's on top of it
    (its `target_url` set, so the plugin's `mcp_target_url` finds the embedded server)."""
    if pytestconfig.getoption("mcp_target") or mcp_config.target_url:
        yield mcp_config
        return
    reference = ReferenceConfig(access_token_ttl=EMBEDDED_TOKEN_TTL_S)
    # the user's token hints win; ours fit the embedded reference
    tokens = EMBEDDED_TOKENS if mcp_config.tokens == TokenHints() else mcp_config.tokens
    with full_reference(reference, replace(mcp_config, tokens=tokens)) as (server, config):
        yield replace(config, target_url=server.mcp_url)
