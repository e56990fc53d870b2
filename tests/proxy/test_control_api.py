"""Faults added, listed and removed through the loopback control API while traffic flows."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from harness.oauth.registration import ClientCredentials
from harness.proxy.fixture import ProxyHandle
from tests.proxy.client import ProxiedClient, http_for


def test_faults_switch_mid_traffic_through_the_api(
    mcp_proxy: ProxyHandle, oauth_client: ClientCredentials
) -> None:
    assert mcp_proxy.control_url is not None
    api = mcp_proxy.control_url + "/faults"
    seen: list[int] = []
    progress = asyncio.Event()

    async def traffic(client: ProxiedClient, stop: asyncio.Event) -> None:
        while not stop.is_set():
            seen.append((await client.tool("whoami")).status)
            progress.set()

    async def until(condition: Callable[[], bool], running: asyncio.Task[None]) -> None:
        """Wait for the traffic to reach `condition` (the traffic task's failure is raised)."""
        while not condition():
            progress.clear()
            waiter = asyncio.ensure_future(progress.wait())
            await asyncio.wait({waiter, running}, timeout=10, return_when="FIRST_COMPLETED")
            waiter.cancel()
            if running.done():
                running.result()

    async def main() -> None:
        async with http_for(mcp_proxy.url) as http, http_for(api) as control:
            client = ProxiedClient(http, mcp_proxy.url, oauth_client)
            await client.connect()
            stop = asyncio.Event()
            running = asyncio.create_task(traffic(client, stop))
            await until(lambda: len(seen) >= 3, running)
            added = await control.request(
                "POST", api, json_body={"spec": "strip-bearer:rpc=tools/call"}
            )
            assert added.status == 201, added.body
            fault = added.json_object() or {}
            await until(lambda: 401 in seen[-1:], running)
            listed = (await control.request("GET", api)).json()
            assert isinstance(listed, list)
            assert [f["spec"] for f in listed] == ["strip-bearer:rpc=tools/call"]
            removed = await control.request("DELETE", f"{api}/{fault['id']}")
            assert removed.status == 204
            mark = len(seen)
            await until(lambda: len(seen) >= mark + 3, running)
            stop.set()
            await running
            assert (await control.request("GET", api)).json() == []
            history = (await control.request("GET", api, params={"all": "1"})).json()
            assert isinstance(history, list)
            assert history[0]["fired"] >= 1
            assert history[0]["active"] is False
            assert (await control.request("DELETE", f"{api}/{fault['id']}")).status == 404
            bad = await control.request("POST", api, json_body={"spec": "no-such-fault"})
            assert bad.status == 400
            assert "valid:" in (bad.json_object() or {}).get("error", "")
            recorded = await control.request("GET", mcp_proxy.control_url + "/exchanges")
            assert isinstance(recorded.json(), list)
            assert len(recorded.json()) == len(mcp_proxy.exchanges())  # type: ignore[arg-type]
            bare = await control.request("POST", api, content=b"reset")  # a page could send it
            assert bare.status == 415
            for spec in ("reset:p=0.5", "latency:ms=5"):
                await control.request("POST", api, json_body={"spec": spec})
            cleared = await control.request("DELETE", api)
            assert (cleared.status, cleared.json_object()) == (200, {"removed": 2})

    asyncio.run(main())
    assert seen[:3] == [200, 200, 200]
    assert 401 in seen  # the server challenged the calls the proxy stripped
    assert seen[-1] == 200  # after the removal the calls pass again
    assert seen.index(401) >= 3
