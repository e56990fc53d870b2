"""A times=N fault on concurrent flows acts on exactly N of them, and each flow it acted on is
the one the recording marks as faulted (the others reach the client untouched)."""

from __future__ import annotations

import asyncio

from harness.http import Response
from harness.proxy.fixture import ProxyHandle
from tests.proxy.client import http_for

FLOWS = 6


def test_times_1_acts_once_among_concurrent_flows(mcp_proxy: ProxyHandle) -> None:
    mcp_proxy.add_fault("latency:ms=300")  # every flow is decided before any response returns
    mcp_proxy.add_fault("corrupt-challenge:how=remove,times=1")

    async def main() -> list[Response]:
        async with http_for(mcp_proxy.url) as http:
            body = {"jsonrpc": "2.0", "id": 1}
            calls = (http.request("POST", mcp_proxy.url, json_body=body) for _ in range(FLOWS))
            return list(await asyncio.gather(*calls))

    answers = asyncio.run(main())
    assert [a.status for a in answers] == [401] * FLOWS
    stripped = [a for a in answers if a.header("www-authenticate") is None]
    assert len(stripped) == 1, "times=1: one flow loses its challenge, the others keep it"
    fired = {f["kind"]: f["fired"] for f in mcp_proxy.faults()}
    assert fired == {"latency": FLOWS, "corrupt-challenge": 1}
    addon = mcp_proxy._thread.run.addon
    exchanges = addon.exchanges
    corrupted = {
        i for i, tags in addon.faulted.items() if any("corrupt-challenge" in t for t in tags)
    }
    unchallenged = {
        i
        for i, e in enumerate(exchanges)
        if e.response is not None
        and not any(name.lower() == "www-authenticate" for name, _ in e.response.headers)
    }
    assert corrupted == unchallenged
    assert len(corrupted) == 1
