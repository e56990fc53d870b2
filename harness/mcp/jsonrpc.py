"""JSON-RPC 2.0 messages: builders for what the client sends, tolerant parsing of what comes back.

Parsing never raises: anything that is not a well-formed message becomes `InvalidMessage` with
the raw value kept, because a server's malformed output is evidence.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

JsonRpcId = int | str


@dataclass(frozen=True, slots=True, kw_only=True)
class JsonRpcRequest:
    id: JsonRpcId
    method: str
    params: Mapping[str, object] | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"jsonrpc": "2.0", "id": self.id, "method": self.method}
        if self.params is not None:
            out["params"] = dict(self.params)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class JsonRpcNotification:
    method: str
    params: Mapping[str, object] | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"jsonrpc": "2.0", "method": self.method}
        if self.params is not None:
            out["params"] = dict(self.params)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class JsonRpcError:
    code: int | None  # None when the server sent a non-integer code
    message: str | None
    data: object = None


@dataclass(frozen=True, slots=True, kw_only=True)
class JsonRpcResponse:
    id: JsonRpcId | None
    result: Mapping[str, object] | None
    error: JsonRpcError | None
    raw: Mapping[str, object] = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class InvalidMessage:
    raw: object = field(repr=False)
    problem: str


JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse | InvalidMessage


def request(
    method: str, params: Mapping[str, object] | None = None, *, id: JsonRpcId
) -> JsonRpcRequest:
    return JsonRpcRequest(id=id, method=method, params=params)


def notification(method: str, params: Mapping[str, object] | None = None) -> JsonRpcNotification:
    return JsonRpcNotification(method=method, params=params)


def parse_message(obj: object) -> JsonRpcMessage:
    """One decoded JSON value as a message."""
    if not isinstance(obj, dict):
        return InvalidMessage(raw=obj, problem=f"a JSON {type(obj).__name__}, not an object")
    method = obj.get("method")
    params = obj.get("params")
    params_map = params if isinstance(params, dict) else None
    if isinstance(method, str):
        if "id" not in obj:
            return JsonRpcNotification(method=method, params=params_map)
        message_id = _id(obj.get("id"))
        if message_id is None:
            return InvalidMessage(
                raw=obj, problem="a request whose id is neither string nor integer"
            )
        return JsonRpcRequest(id=message_id, method=method, params=params_map)
    if "result" in obj or "error" in obj:
        result = obj.get("result")
        return JsonRpcResponse(
            id=_id(obj.get("id")),
            result=result if isinstance(result, dict) else None,
            error=_error(obj["error"]) if "error" in obj else None,
            raw=obj,
        )
    return InvalidMessage(raw=obj, problem="neither a request, a notification nor a response")


def parse_messages(obj: object) -> tuple[JsonRpcMessage, ...]:
    """A decoded body: one message, or a batch (a JSON array) of them."""
    if isinstance(obj, list):
        return tuple(parse_message(item) for item in obj)
    return (parse_message(obj),)


def parse_json_messages(text: str | bytes) -> tuple[JsonRpcMessage, ...]:
    """Raw JSON text as messages; text that is not JSON is one `InvalidMessage`."""
    if not text.strip():
        return ()
    try:
        decoded = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        excerpt = text[:200].decode("utf-8", "replace") if isinstance(text, bytes) else text[:200]
        return (InvalidMessage(raw=excerpt, problem="not JSON"),)
    return parse_messages(decoded)


def same_id(a: JsonRpcId | None, b: JsonRpcId | None) -> bool:
    """Ids compared loosely (`1` and `"1"` match): a server that changes the type still answered."""
    return a is not None and b is not None and str(a) == str(b)


def _id(value: object) -> JsonRpcId | None:
    if isinstance(value, bool):
        return None
    return value if isinstance(value, int | str) else None


def _error(value: object) -> JsonRpcError:
    if not isinstance(value, dict):
        return JsonRpcError(code=None, message=None, data=value)
    code = value.get("code")
    message = value.get("message")
    return JsonRpcError(
        code=code if isinstance(code, int) and not isinstance(code, bool) else None,
        message=message if isinstance(message, str) else None,
        data=value.get("data"),
    )
