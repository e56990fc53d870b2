"""A real reference server per module; each test gets the `mcp_proxy` fixture in front of it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.oauth.registration import ClientCredentials
from simulators.reference import ReferenceServer
from tests.proxy.client import REDIRECT_URI


@pytest.fixture(scope="module")
def reference() -> Iterator[ReferenceServer]:
    with ReferenceServer() as server:
        yield server


@pytest.fixture(scope="module")
def oauth_client(reference: ReferenceServer) -> ClientCredentials:
    return reference.register_client([REDIRECT_URI])


@pytest.fixture
def mcp_proxy_upstream(reference: ReferenceServer) -> str:
    return reference.mcp_url
