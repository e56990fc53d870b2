"""A target whose metadata names a private or cloud-metadata address as its authorization server:
no connection to it is attempted (recorded where asyncio connects), and the verdict says egress
was refused."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from harness.config import load_config
from harness.results import Verdict
from harness.session import HarnessSession
from tests.hostile.servers import documents_handler, serving

PRM_PATH = "/.well-known/oauth-protected-resource/mcp"


@pytest.mark.parametrize("issuer", ["http://169.254.169.254", "http://10.0.0.1"])
def test_no_connect_to_a_refused_authorization_server(
    issuer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    connected: list[object] = []
    original = asyncio.base_events.BaseEventLoop.create_connection

    async def recording(self: Any, factory: Any, host: Any = None, *a: Any, **k: Any) -> Any:
        connected.append(host)
        return await original(self, factory, host, *a, **k)

    monkeypatch.setattr(asyncio.base_events.BaseEventLoop, "create_connection", recording)
    documents: dict[str, object] = {}
    with serving(documents_handler(documents, prm_path=PRM_PATH)) as base:
        documents[PRM_PATH] = {"resource": f"{base}/mcp", "authorization_servers": [issuer]}
        session = HarnessSession(target_url=f"{base}/mcp", config=load_config(None))
        began = time.monotonic()
        session.run()
        wall = time.monotonic() - began
    assert wall < 60.0
    assert connected  # the recorder saw the target's own connections
    assert all(host == "127.0.0.1" for host in connected), connected
    served = session.result("disc.as.metadata-served")
    assert served.verdict is Verdict.ERROR
    assert "egress refused" in served.message
    assert issuer.removeprefix("http://") in served.message
    assert served.evidence
