"""The MCP messages the harness sends, and what each revision adds to them on the wire.

Pure functions: request bodies (`initialize`, `tools/list`, …), the 2026-07-28 per-request
`_meta`, and the 2026-07-28 `Mcp-Method` / `Mcp-Name` headers mirrored from a body.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from harness import __version__
from harness.mcp.jsonrpc import JsonRpcId, JsonRpcRequest
from harness.mcp.versions import header_value

META_PREFIX = "io.modelcontextprotocol/"
PROTOCOL_VERSION_META = META_PREFIX + "protocolVersion"
CLIENT_INFO_META = META_PREFIX + "clientInfo"
CLIENT_CAPABILITIES_META = META_PREFIX + "clientCapabilities"
DEFAULT_CLIENT_INFO = ("mcp-auth-harness", __version__)
_NAMED_METHODS = MappingProxyType(
    {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}
)


def client_info_object(client_info: tuple[str, str] = DEFAULT_CLIENT_INFO) -> dict[str, object]:
    return {"name": client_info[0], "version": client_info[1]}


def initialize_params(
    protocol_version: str,
    *,
    client_info: tuple[str, str] = DEFAULT_CLIENT_INFO,
    capabilities: Mapping[str, object] | None = None,
) -> dict[str, object]:
    return {
        "protocolVersion": protocol_version,
        "capabilities": dict(capabilities or {}),
        "clientInfo": client_info_object(client_info),
    }


def initialize_request(
    protocol_version: str,
    *,
    request_id: JsonRpcId = 1,
    client_info: tuple[str, str] = DEFAULT_CLIENT_INFO,
    capabilities: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """A legacy (2025-03-26 … 2025-11-25) `initialize` request body."""
    params = initialize_params(protocol_version, client_info=client_info, capabilities=capabilities)
    return JsonRpcRequest(id=request_id, method="initialize", params=params).to_json()


def tools_list_request(*, request_id: JsonRpcId = 1) -> dict[str, object]:
    """A `tools/list` request body (the client adds `_meta` for 2026-07-28 when it posts it)."""
    return JsonRpcRequest(id=request_id, method="tools/list", params={}).to_json()


def tools_call_request(
    name: str, arguments: Mapping[str, object], *, request_id: JsonRpcId = 1
) -> dict[str, object]:
    params: dict[str, object] = {"name": name, "arguments": dict(arguments)}
    return JsonRpcRequest(id=request_id, method="tools/call", params=params).to_json()


def with_meta(
    body: Mapping[str, object],
    *,
    protocol_version: str,
    client_info: tuple[str, str] = DEFAULT_CLIENT_INFO,
    capabilities: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """A request body whose params carry the 2026-07-28 per-request `_meta`.

    Keys already present in `_meta` are kept, so a probe can send a deliberately wrong value.
    Notifications and non-object params are returned unchanged.
    """
    out = dict(body)
    params = out.get("params", {})
    if "id" not in out or "method" not in out or not isinstance(params, Mapping):
        return out
    meta = params.get("_meta")
    defaults: dict[str, object] = {
        PROTOCOL_VERSION_META: protocol_version,
        CLIENT_INFO_META: client_info_object(client_info),
        CLIENT_CAPABILITIES_META: dict(capabilities or {}),
    }
    out["params"] = {**params, "_meta": {**defaults, **(meta if isinstance(meta, Mapping) else {})}}
    return out


def method_headers(body: Mapping[str, object]) -> list[tuple[str, str]]:
    """2026-07-28 `Mcp-Method` and (for tools/call, prompts/get, resources/read) `Mcp-Name`."""
    method = body.get("method")
    if not isinstance(method, str):
        return []
    headers = [("mcp-method", header_value(method))]
    params = body.get("params")
    key = _NAMED_METHODS.get(method)
    name = params.get(key) if key is not None and isinstance(params, Mapping) else None
    if isinstance(name, str):
        headers.append(("mcp-name", header_value(name)))
    return headers
