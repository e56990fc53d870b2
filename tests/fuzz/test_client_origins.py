"""`client_origins` skips a URI whose port or host cannot be parsed (a fuzzed redirect_uri such
as `http://127.0.0.1:99999/cb` or `http://[::1/cb`) instead of raising ValueError, and keeps the
origins of the others."""

from __future__ import annotations

import pytest

from harness.probes.authserver.flow import client_origins


@pytest.mark.parametrize(
    "bad", ["http://127.0.0.1:99999/cb", "http://127.0.0.1:x/cb", "http://[::1/cb", "https://a:-1/"]
)
def test_unparseable_uri_is_skipped(bad: str) -> None:
    assert client_origins(bad) == frozenset()
    assert client_origins(bad, "https://App.example/cb") == {"https://app.example"}


def test_loopback_spellings_keep_the_port() -> None:
    found = client_origins("http://localhost:8123/cb")
    assert {"http://127.0.0.1:8123", "http://[::1]:8123", "http://localhost:8123"} <= found
