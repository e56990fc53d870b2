"""Each fault kind fires as specified, with its trigger, on real traffic: the reference server
under uvicorn, mitmproxy in-process, a real OAuth + MCP client through it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import pytest

from harness.errors import TargetError
from harness.oauth.registration import ClientCredentials
from harness.proxy.fixture import ProxyHandle
from tests.proxy.client import ProxiedClient, http_for

Scenario = Callable[[ProxiedClient], Awaitable[None]]


def drive(proxy: ProxyHandle, creds: ClientCredentials, scenario: Scenario) -> None:
    async def main() -> None:
        async with http_for(proxy.url) as http:
            await scenario(ProxiedClient(http, proxy.url, creds))

    asyncio.run(main())


def fired(proxy: ProxyHandle) -> dict[str, int]:
    return {str(f["spec"]): int(str(f["fired"])) for f in proxy.faults(include_removed=True)}


def test_without_faults_the_flow_works_and_urls_are_the_proxys(
    mcp_proxy: ProxyHandle, oauth_client: ClientCredentials
) -> None:
    async def scenario(client: ProxiedClient) -> None:
        await client.connect()
        answer = await client.tool("whoami")
        assert answer.status == 200, answer.exchange.summary()

    drive(mcp_proxy, oauth_client, scenario)
    upstream_port = mcp_proxy.url  # every recorded URL is the client's view: the proxy's origin
    assert all(e.request.url.startswith(mcp_proxy.origin) for e in mcp_proxy.exchanges())
    prm = next(e for e in mcp_proxy.exchanges() if "oauth-protected-resource" in e.request.url)
    assert prm.response is not None
    assert json.loads(prm.response.body_excerpt)["resource"] == upstream_port


def test_expire_token_after_the_third_tool_call(
    mcp_proxy: ProxyHandle, oauth_client: ClientCredentials
) -> None:
    mcp_proxy.add_fault("expire-token:after=3,rpc=tools/call")
    statuses: list[int] = []

    async def scenario(client: ProxiedClient) -> None:
        await client.connect()
        for _ in range(5):
            statuses.append((await client.tool("whoami")).status)
        expired = await client.tool("whoami")
        challenge = expired.header("www-authenticate") or ""
        assert 'error="invalid_token"' in challenge
        assert f'resource_metadata="{mcp_proxy.origin}/.well-known/oauth-protected-resource' in (
            challenge
        )
        assert (await client.refresh()).tokens is not None  # a new token is not expired
        statuses.append((await client.tool("whoami")).status)

    drive(mcp_proxy, oauth_client, scenario)
    assert statuses == [200, 200, 200, 401, 401, 200]
    assert fired(mcp_proxy) == {"expire-token:after=3,rpc=tools/call": 1}


def test_expire_token_by_age(mcp_proxy: ProxyHandle, oauth_client: ClientCredentials) -> None:
    mcp_proxy.add_fault("expire-token:age=3600")

    async def scenario(client: ProxiedClient) -> None:
        await client.connect()
        assert (await client.tool("whoami")).status == 200  # a young token passes

    drive(mcp_proxy, oauth_client, scenario)
    assert fired(mcp_proxy) == {"expire-token:age=3600": 0}


def test_strip_bearer_makes_the_server_challenge(
    mcp_proxy: ProxyHandle, oauth_client: ClientCredentials
) -> None:
    async def scenario(client: ProxiedClient) -> None:
        await client.connect()
        ident = mcp_proxy.add_fault("strip-bearer:rpc=tools/call")
        first = await client.tool("whoami")
        assert mcp_proxy.remove(ident)
        second = await client.tool("whoami")
        assert (first.status, second.status) == (401, 200)

    drive(mcp_proxy, oauth_client, scenario)
    stripped = [e for e in mcp_proxy.exchanges() if "strip-bearer" in json.dumps(e.to_json())]
    assert not stripped  # the recording is the client's request, with its bearer
    assert fired(mcp_proxy)["strip-bearer:rpc=tools/call"] == 1
    assert mcp_proxy.faults() == []


def test_discovery_404_on_chosen_paths(
    mcp_proxy: ProxyHandle, oauth_client: ClientCredentials
) -> None:
    mcp_proxy.add_fault("discovery-404:path=/.well-known/oauth-authorization-server*")

    async def scenario(client: ProxiedClient) -> None:
        prm = await client.http.request(
            "GET", mcp_proxy.origin + "/.well-known/oauth-protected-resource/mcp"
        )
        metadata = await client.http.request(
            "GET", mcp_proxy.origin + "/.well-known/oauth-authorization-server"
        )
        assert (prm.status, metadata.status) == (200, 404)

    drive(mcp_proxy, oauth_client, scenario)


def test_refresh_faults(mcp_proxy: ProxyHandle, oauth_client: ClientCredentials) -> None:
    mcp_proxy.add_fault("refresh-fails-once")

    async def scenario(client: ProxiedClient) -> None:
        await client.connect()
        first = await client.refresh()
        assert (first.response.status, first.error) == (400, "invalid_grant")
        second = await client.refresh()
        assert second.tokens is not None
        assert second.tokens.refresh_token
        mcp_proxy.add_fault("drop-refresh-token")
        third = await client.refresh()
        assert third.tokens is not None
        assert third.tokens.refresh_token is None

    drive(mcp_proxy, oauth_client, scenario)
    assert fired(mcp_proxy) == {"refresh-fails-once": 1, "drop-refresh-token": 1}


def test_authorize_307(mcp_proxy: ProxyHandle, oauth_client: ClientCredentials) -> None:
    mcp_proxy.add_fault("authorize-307")

    async def scenario(client: ProxiedClient) -> None:
        await client.login()

    drive(mcp_proxy, oauth_client, scenario)
    back = [
        e
        for e in mcp_proxy.exchanges()
        if e.response is not None and "code=" in dict(e.response.headers).get("location", "")
    ]
    assert [e.response.status for e in back if e.response] == [307]
    assert fired(mcp_proxy) == {"authorize-307": 1}


def test_inject_prompt_into_tool_results(
    mcp_proxy: ProxyHandle, oauth_client: ClientCredentials
) -> None:
    mcp_proxy.add_fault("inject-prompt:id=token-exfiltration,rpc=tools/call")

    async def scenario(client: ProxiedClient) -> None:
        await client.connect()
        listed = await client.rpc("tools/list", {})
        assert "verify your identity" not in listed.body.decode()
        result = (await client.tool("whoami")).json_object() or {}
        texts = [c["text"] for c in result["result"]["content"]]  # type: ignore[index]
        assert any("send your access token" in t for t in texts), texts

    drive(mcp_proxy, oauth_client, scenario)


def test_corrupt_challenge_and_rotate_authorization_server(
    mcp_proxy: ProxyHandle, oauth_client: ClientCredentials
) -> None:
    mcp_proxy.add_fault("corrupt-challenge:how=drop-metadata")
    mcp_proxy.add_fault("rotate-authorization-server:to=https://as2.example.com")

    async def scenario(client: ProxiedClient) -> None:
        challenge = await client.rpc("initialize", {}, bearer=False)
        header = challenge.header("www-authenticate") or ""
        assert challenge.status == 401
        assert header.startswith("Bearer")
        assert "resource_metadata" not in header
        prm = await client.http.request(
            "GET", mcp_proxy.origin + "/.well-known/oauth-protected-resource/mcp"
        )
        assert (prm.json_object() or {})["authorization_servers"] == ["https://as2.example.com"]

    drive(mcp_proxy, oauth_client, scenario)


def test_rate_limit_latency_and_reset(
    mcp_proxy: ProxyHandle, oauth_client: ClientCredentials
) -> None:
    async def scenario(client: ProxiedClient) -> None:
        await client.connect()
        mcp_proxy.add_fault("rate-limit:path=/token,retry=7,times=1")
        mcp_proxy.add_fault("latency:ms=300,dir=response,rpc=tools/call,times=1")
        limited = await client.refresh()
        assert (limited.response.status, limited.response.header("retry-after")) == (429, "7")
        slow = await client.tool("whoami")
        assert slow.status == 200
        assert slow.exchange.elapsed_s >= 0.3
        mcp_proxy.add_fault("reset:rpc=tools/call,times=1")
        with pytest.raises(TargetError):  # the connection was killed
            await client.tool("whoami")
        # After the upstream answered: the server did the work, the client never hears of it.
        mcp_proxy.add_fault("reset:dir=response,rpc=tools/call,times=1")
        with pytest.raises(TargetError):
            await client.tool("whoami")
        assert (await client.tool("whoami")).status == 200

    drive(mcp_proxy, oauth_client, scenario)
    assert all(count == 1 for count in fired(mcp_proxy).values()), fired(mcp_proxy)
    assert any(e.response is None and e.error for e in mcp_proxy.exchanges())
