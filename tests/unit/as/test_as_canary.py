"""The loopback listener: serves documents, records what reaches it, and closes."""

from __future__ import annotations

import pytest

from harness.errors import TargetError
from harness.http import HttpClient
from harness.probes.authserver.canary import LoopbackListener

pytestmark = pytest.mark.anyio


async def test_serves_documents_and_records_hits_without_the_query(http: HttpClient) -> None:
    async with LoopbackListener() as listener:
        url = listener.serve("/doc.json", {"client_id": "x"})
        served = await http.request("GET", url)
        missing = await http.request("GET", listener.url("/callback?code=secret-code-123"))
        hits = listener.hits
    assert served.status == 200
    assert served.json() == {"client_id": "x"}
    assert missing.status == 404
    assert [h.describe() for h in hits] == ["GET /doc.json", "GET /callback"]


async def test_the_record_of_hits_is_bounded(http: HttpClient) -> None:
    async with LoopbackListener(max_hits=2) as listener:
        for _ in range(4):
            await http.request("GET", listener.url("/x"))
        assert len(listener.hits) == 2


async def test_closed_after_the_block(http: HttpClient) -> None:
    async with LoopbackListener() as listener:
        url = listener.url("/x")
    with pytest.raises(TargetError):
        await http.request("GET", url, timeout_s=2)


def test_origin_needs_a_started_listener() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        _ = LoopbackListener().origin
