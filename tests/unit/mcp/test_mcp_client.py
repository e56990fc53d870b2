"""`McpClient` against a real Streamable HTTP server (legacy and 2026-07-28 behaviour)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from harness.http import HttpClient
from harness.mcp.client import McpClient
from harness.mcp.jsonrpc import JsonRpcNotification
from harness.mcp.versions import ProtocolVersion

pytestmark = pytest.mark.anyio
Serve = Callable[[ASGIApp], str]
TOKEN = "Bearer good-token-123456"
ECHOED = ("mcp-protocol-version", "mcp-session-id", "mcp-method", "mcp-name", "accept")


def sse(*messages: dict[str, object]) -> bytes:
    return b"".join(b"event: message\ndata: " + json.dumps(m).encode() + b"\n\n" for m in messages)


async def endless(first: bytes) -> AsyncIterator[bytes]:
    yield b": opened\n\n"
    yield first
    await asyncio.Event().wait()  # the stream never ends: the client must stop reading
    yield b""


def mcp_app(*, modern: bool) -> Starlette:
    async def endpoint(request: Request) -> Response:
        if request.headers.get("authorization") != TOKEN:
            return JSONResponse(
                {"error": "unauthorized"},
                status_code=401,
                headers={"www-authenticate": 'Bearer resource_metadata="https://x/prm"'},
            )
        if request.method == "GET":
            return StreamingResponse(
                endless(sse({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})),
                media_type="text/event-stream",
            )
        if request.method == "DELETE":
            return Response(status_code=200)
        body = await request.json()
        method, request_id = body.get("method"), body.get("id")
        echo = {name: request.headers.get(name) for name in ECHOED}
        if "id" not in body:
            return Response(status_code=202)
        if method == "initialize" and not modern:
            return JSONResponse(
                {
                    "jsonrpc": "2.0",
                    "id": request_id,
                    "result": {"protocolVersion": "2025-06-18", "capabilities": {}},
                },
                headers={"mcp-session-id": "session-0123456789"},
            )
        if method == "server/discover" and not modern:
            error = {"code": -32600, "message": "Bad Request: no valid session id"}
            return JSONResponse({"jsonrpc": "2.0", "id": None, "error": error}, status_code=400)
        if method == "tools/list":
            note = {"jsonrpc": "2.0", "method": "notifications/progress", "params": {}}
            reply = {"jsonrpc": "2.0", "id": request_id, "result": {"tools": [], "echo": echo}}
            return StreamingResponse(endless(sse(note, reply)), media_type="text/event-stream")
        result = {"echo": echo, "params": body.get("params"), "query": dict(request.query_params)}
        return JSONResponse({"jsonrpc": "2.0", "id": request_id, "result": result})

    return Starlette(routes=[Route("/mcp", endpoint, methods=["GET", "POST", "DELETE"])])


async def test_legacy_session_lifecycle(http: HttpClient, serve: Serve) -> None:
    url = serve(mcp_app(modern=False)) + "/mcp"
    client = McpClient(http, url)

    denied = await client.initialize(None)
    assert denied.status == 401
    assert client.negotiated_version is None

    reply = await client.initialize(TOKEN)
    assert reply.result is not None
    assert client.protocol_version == "2025-06-18"  # the server chose an older revision
    assert client.negotiated_version == "2025-06-18"
    assert client.session_id == "session-0123456789"
    assert client.initialized is not None
    assert client.initialized.status == 202
    assert client.initialized.reply is None

    listed = await client.list_tools(TOKEN)  # an SSE stream the server never closes
    assert listed.response.truncated is False
    assert [type(m).__name__ for m in listed.messages] == ["JsonRpcNotification", "JsonRpcResponse"]
    assert listed.result is not None
    echo = listed.result["echo"]
    assert echo == {
        "mcp-protocol-version": "2025-06-18",
        "mcp-session-id": "session-0123456789",
        "mcp-method": None,
        "mcp-name": None,
        "accept": "application/json, text/event-stream",
    }

    called = await client.call_tool("echo", {"text": "hi"}, TOKEN)
    assert called.result is not None
    assert called.result["params"] == {"name": "echo", "arguments": {"text": "hi"}}

    without_session = await client.post(
        {"jsonrpc": "2.0", "id": 99, "method": "ping"},
        authorization=TOKEN,
        session=False,
        params={"access_token": "query-token-123"},
    )
    assert without_session.reply is not None
    assert without_session.result is not None
    assert without_session.result["echo"]["mcp-session-id"] is None  # type: ignore[index]
    assert without_session.result["query"] == {"access_token": "query-token-123"}
    assert "query-token-123" not in without_session.response.exchange.request.url

    stream = await client.get_stream(TOKEN)
    assert stream.status == 200
    assert stream.body.startswith(b": opened")

    deleted = await client.delete_session(TOKEN)
    assert deleted.status == 200
    assert client.session_id == "session-0123456789"
    assert "good-token-123456" not in str(deleted.exchange.to_json())


async def test_stateless_revision_headers_and_meta(http: HttpClient, serve: Serve) -> None:
    url = serve(mcp_app(modern=True)) + "/mcp"
    client = McpClient(
        http, url, protocol_version=ProtocolVersion.V2026_07_28, client_info=("t", "1")
    )
    assert client.stateless
    called = await client.call_tool("get weather ☀", {"city": "Bern"}, TOKEN)
    assert called.result is not None
    assert called.result["echo"] == {
        "mcp-protocol-version": "2026-07-28",
        "mcp-session-id": None,
        "mcp-method": "tools/call",
        "mcp-name": "=?base64?Z2V0IHdlYXRoZXIg4piA?=",
        "accept": "application/json, text/event-stream",
    }
    params = called.result["params"]
    assert isinstance(params, dict)
    assert params["_meta"] == {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    raw = await client.post(
        {"jsonrpc": "2.0", "id": 5, "method": "x"}, authorization=TOKEN, meta=False
    )
    assert raw.result is not None
    assert raw.result["params"] is None
    note = await client.post(JsonRpcNotification(method="n"), authorization=TOKEN)
    assert note.status == 202
    assert note.messages == ()


async def test_negotiate_modern_and_fallback(http: HttpClient, serve: Serve) -> None:
    modern = McpClient(http, serve(mcp_app(modern=True)) + "/mcp")
    reply = await modern.negotiate(TOKEN)
    assert reply.result is not None
    assert modern.stateless
    assert modern.protocol_version == "2026-07-28"

    legacy = McpClient(http, serve(mcp_app(modern=False)) + "/mcp")
    unauthenticated = await legacy.negotiate(None)
    assert unauthenticated.status == 401
    reply = await legacy.negotiate(TOKEN)
    assert reply.result is not None
    assert not legacy.stateless
    assert legacy.protocol_version == "2025-06-18"
    assert legacy.session_id == "session-0123456789"
