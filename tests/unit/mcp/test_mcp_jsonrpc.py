from __future__ import annotations

import pytest

from harness.mcp.jsonrpc import (
    InvalidMessage,
    JsonRpcError,
    JsonRpcNotification,
    JsonRpcRequest,
    JsonRpcResponse,
    notification,
    parse_json_messages,
    parse_message,
    request,
    same_id,
)
from harness.mcp.messages import (
    initialize_request,
    method_headers,
    tools_call_request,
    tools_list_request,
    with_meta,
)
from harness.mcp.versions import header_value, is_modern, sends_version_header


def test_builders() -> None:
    assert request("tools/list", {}, id=4).to_json() == {
        "jsonrpc": "2.0",
        "id": 4,
        "method": "tools/list",
        "params": {},
    }
    assert notification("notifications/initialized").to_json() == {
        "jsonrpc": "2.0",
        "method": "notifications/initialized",
    }


def test_parse_result_and_error_responses() -> None:
    ok = parse_message({"jsonrpc": "2.0", "id": 1, "result": {"tools": []}})
    assert ok == JsonRpcResponse(id=1, result={"tools": []}, error=None, raw=ok.raw)  # type: ignore[union-attr]
    failed = parse_message(
        {"jsonrpc": "2.0", "id": "a", "error": {"code": -32601, "message": "nope", "data": [1]}}
    )
    assert isinstance(failed, JsonRpcResponse)
    assert failed.error == JsonRpcError(code=-32601, message="nope", data=[1])
    assert failed.result is None


def test_parse_odd_responses() -> None:
    weird = parse_message({"id": True, "error": "bad", "result": [1]})
    assert isinstance(weird, JsonRpcResponse)
    assert weird.id is None
    assert weird.result is None
    assert weird.error == JsonRpcError(code=None, message=None, data="bad")
    no_id = parse_message({"jsonrpc": "2.0", "id": None, "error": {"code": 1.5, "message": 2}})
    assert isinstance(no_id, JsonRpcResponse)
    assert no_id.error == JsonRpcError(code=None, message=None)


def test_parse_requests_and_notifications() -> None:
    assert parse_message({"jsonrpc": "2.0", "method": "n", "params": {"a": 1}}) == (
        JsonRpcNotification(method="n", params={"a": 1})
    )
    assert parse_message({"jsonrpc": "2.0", "id": 9, "method": "roots/list"}) == (
        JsonRpcRequest(id=9, method="roots/list")
    )
    assert isinstance(parse_message({"id": [1], "method": "m"}), InvalidMessage)


@pytest.mark.parametrize("value", [[], "x", 3, None, {"jsonrpc": "2.0"}])
def test_invalid_messages(value: object) -> None:
    assert isinstance(parse_message(value), InvalidMessage)


def test_parse_json_batches_and_garbage() -> None:
    batch = parse_json_messages(b'[{"jsonrpc":"2.0","id":1,"result":{}},{"method":"x"}]')
    assert [type(m).__name__ for m in batch] == ["JsonRpcResponse", "JsonRpcNotification"]
    (garbage,) = parse_json_messages(b"<html>oops</html>")
    assert isinstance(garbage, InvalidMessage)
    assert garbage.problem == "not JSON"
    assert parse_json_messages(b"  ") == ()


def test_same_id() -> None:
    assert same_id(1, "1")
    assert not same_id(None, None)
    assert not same_id(1, 2)


def test_mcp_messages() -> None:
    init = initialize_request("2025-06-18", request_id=5, client_info=("c", "1"))
    assert init["id"] == 5
    assert init["params"] == {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "c", "version": "1"},
    }
    assert tools_list_request()["method"] == "tools/list"


def test_with_meta_keeps_existing_keys_and_skips_notifications() -> None:
    body = tools_call_request("echo", {"x": 1}, request_id=2)
    body["params"] = {**body["params"], "_meta": {"io.modelcontextprotocol/protocolVersion": "x"}}  # type: ignore[dict-item]
    out = with_meta(body, protocol_version="2026-07-28", client_info=("c", "1"))
    meta = out["params"]["_meta"]  # type: ignore[index]
    assert meta == {
        "io.modelcontextprotocol/protocolVersion": "x",
        "io.modelcontextprotocol/clientInfo": {"name": "c", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    note = notification("n").to_json()
    assert with_meta(note, protocol_version="2026-07-28") == note


def test_method_headers_and_value_encoding() -> None:
    body = tools_call_request("get weather ☀", {})
    assert method_headers(body) == [
        ("mcp-method", "tools/call"),
        ("mcp-name", "=?base64?Z2V0IHdlYXRoZXIg4piA?="),
    ]
    read = {"method": "resources/read", "params": {"uri": "file:///a b"}}
    assert method_headers(read) == [("mcp-method", "resources/read"), ("mcp-name", "file:///a b")]
    assert method_headers({"method": "tools/list"}) == [("mcp-method", "tools/list")]
    assert header_value(" padded ") == "=?base64?IHBhZGRlZCA=?="
    assert header_value("=?base64?literal?=") == "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="
    assert header_value("line1\nline2") == "=?base64?bGluZTEKbGluZTI=?="
    assert header_value("us-west1") == "us-west1"


def test_versions() -> None:
    assert is_modern("2026-07-28")
    assert is_modern("2027-01-01")
    assert not is_modern("2025-11-25")
    assert not sends_version_header("2025-03-26")
    assert sends_version_header("2025-06-18")
