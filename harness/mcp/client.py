"""The MCP Streamable HTTP client the harness drives servers with.

Every method takes the credentials explicitly (`authorization`: the whole header value, or None
for no header) because the harness varies them request by request. Replies are data: the HTTP
`Response` (the evidence), the JSON-RPC messages found in a JSON or SSE body, and the response
to the request, if one came.

Legacy revisions (2025-03-26 … 2025-11-25) `initialize` and carry `Mcp-Session-Id` and (from
2025-06-18) `MCP-Protocol-Version`. The stateless 2026-07-28 revision has neither handshake nor
session: every request carries `_meta` (protocol version, client info, capabilities) and the
`MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers; `post` adds them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from harness.http import HttpClient, ReadUntil, Response
from harness.mcp.jsonrpc import (
    JsonRpcMessage,
    JsonRpcNotification,
    JsonRpcRequest,
    JsonRpcResponse,
    parse_json_messages,
    same_id,
)
from harness.mcp.messages import (
    DEFAULT_CLIENT_INFO,
    initialize_params,
    method_headers,
    with_meta,
)
from harness.mcp.messages import initialize_request as initialize_request
from harness.mcp.messages import tools_list_request as tools_list_request
from harness.mcp.sse import event_messages, parse_sse, until_response
from harness.mcp.versions import (
    LEGACY_VERSIONS,
    METHOD_NOT_FOUND,
    MODERN_ERROR_CODES,
    UNSUPPORTED_PROTOCOL_VERSION,
    ProtocolVersion,
    is_modern,
    sends_version_header,
)

ACCEPT_POST = "application/json, text/event-stream"
Message = JsonRpcRequest | JsonRpcNotification | Mapping[str, object]


@dataclass(frozen=True, slots=True, kw_only=True)
class McpReply:
    response: Response
    messages: tuple[JsonRpcMessage, ...]
    reply: JsonRpcResponse | None  # the response to the request sent, when one arrived

    @property
    def status(self) -> int:
        return self.response.status

    @property
    def result(self) -> Mapping[str, object] | None:
        return self.reply.result if self.reply is not None else None


class McpClient:
    """One simulated MCP client of one server. Not shared between concurrent flows.

    `protocol_version` is the revision spoken: the requested one until `initialize` settles
    another. `negotiated_version` is None until a legacy handshake succeeded (always set for
    2026-07-28); `session_id` holds the server's `Mcp-Session-Id` (settable, for probes).
    """

    def __init__(
        self,
        http: HttpClient,
        url: str,
        *,
        protocol_version: str = ProtocolVersion.V2025_11_25,
        client_info: tuple[str, str] = DEFAULT_CLIENT_INFO,
        extra_headers: Sequence[tuple[str, str]] = (),
        capabilities: Mapping[str, object] | None = None,
    ) -> None:
        self.http = http
        self.url = url
        self.client_info = client_info
        self.extra_headers = tuple(extra_headers)
        self.capabilities: Mapping[str, object] = dict(capabilities or {})
        self.protocol_version = protocol_version
        self.negotiated_version: str | None = None
        self.session_id: str | None = None
        self.initialized: McpReply | None = None  # the `notifications/initialized` POST
        self._last_id = 0
        self.use_version(protocol_version)

    @property
    def stateless(self) -> bool:
        """2026-07-28 and later: per-request metadata, no handshake, no session."""
        return is_modern(self.protocol_version)

    def use_version(self, version: str) -> None:
        """Speak `version` from now on, forgetting any session."""
        self.protocol_version = version
        self.negotiated_version = version if is_modern(version) else None
        self.session_id = None
        self.initialized = None

    def next_id(self) -> int:
        self._last_id += 1
        return self._last_id

    async def post(
        self,
        message: Message,
        *,
        authorization: str | None,
        headers: Sequence[tuple[str, str]] = (),
        session: bool = True,
        params: Mapping[str, str] | None = None,
        meta: bool = True,
        read_until: ReadUntil | None = None,
    ) -> McpReply:
        """POST one message. For 2026-07-28 the `_meta` (unless `meta=False`) and the
        `Mcp-Method`/`Mcp-Name` headers are added; `params` goes into the query string."""
        body = message.to_json() if not isinstance(message, Mapping) else dict(message)
        if self.stateless and meta:
            body = with_meta(
                body,
                protocol_version=self.protocol_version,
                client_info=self.client_info,
                capabilities=self.capabilities,
            )
        raw_id = body.get("id") if "method" in body else None
        request_id = raw_id if isinstance(raw_id, int | str) else None
        if read_until is None and request_id is not None:
            read_until = until_response(request_id)
        request_headers = [
            ("accept", ACCEPT_POST),
            *self._common_headers(authorization, session=session),
            *(method_headers(body) if self.stateless else ()),
            *headers,
        ]
        response = await self.http.request(
            "POST",
            self.url,
            headers=request_headers,
            params=params,
            json_body=body,
            read_until=read_until,
        )
        return _reply(response, request_id)

    async def request(
        self,
        method: str,
        params: Mapping[str, object] | None = None,
        *,
        authorization: str | None,
        headers: Sequence[tuple[str, str]] = (),
        session: bool = True,
    ) -> McpReply:
        """A request with a fresh id."""
        message = JsonRpcRequest(id=self.next_id(), method=method, params=params)
        return await self.post(
            message, authorization=authorization, headers=headers, session=session
        )

    async def notify(
        self,
        method: str,
        params: Mapping[str, object] | None = None,
        *,
        authorization: str | None,
        headers: Sequence[tuple[str, str]] = (),
    ) -> McpReply:
        message = JsonRpcNotification(method=method, params=params)
        return await self.post(message, authorization=authorization, headers=headers)

    async def initialize(self, authorization: str | None) -> McpReply:
        """Legacy: `initialize`, then (on success) `notifications/initialized`, keeping the
        session id and the version the server chose (when it is one we speak).
        2026-07-28: there is no handshake; this sends `server/discover` instead."""
        if self.stateless:
            return await self.discover_server(authorization)
        self.use_version(self.protocol_version)
        params = initialize_params(
            self.protocol_version, client_info=self.client_info, capabilities=self.capabilities
        )
        reply = await self.request("initialize", params, authorization=authorization, session=False)
        chosen = reply.result.get("protocolVersion") if reply.result is not None else None
        if not isinstance(chosen, str) or chosen not in LEGACY_VERSIONS:
            return reply
        self.protocol_version = self.negotiated_version = chosen
        self.session_id = reply.response.header("mcp-session-id")
        self.initialized = await self.notify(
            "notifications/initialized", authorization=authorization
        )
        return reply

    async def negotiate(self, authorization: str | None) -> McpReply:
        """`--spec auto`, as a dual-era client: a 2026-07-28 request first; a recognised modern
        error keeps the modern era (retrying once with a version from its `supported` list);
        any other failure falls back to `initialize` with 2025-11-25. A 401/403 settles
        nothing and is returned as is (retry with credentials)."""
        self.use_version(ProtocolVersion.V2026_07_28)
        modern = await self.discover_server(authorization)
        if modern.result is not None or modern.status in {401, 403}:
            return modern
        error = modern.reply.error if modern.reply is not None else None
        if error is not None and error.code == METHOD_NOT_FOUND and modern.status == 404:
            return (
                modern  # a modern server without `server/discover` (2026-07-28 §Request Metadata)
            )
        if error is not None and error.code in MODERN_ERROR_CODES:
            retry = (
                _supported_choice(error.data)
                if error.code == UNSUPPORTED_PROTOCOL_VERSION
                else None
            )
            if retry is None:
                return modern
            self.use_version(retry)
            return await self.initialize(authorization)
        self.use_version(ProtocolVersion.V2025_11_25)
        return await self.initialize(authorization)

    async def discover_server(self, authorization: str | None) -> McpReply:
        """`server/discover` (2026-07-28): supported versions, capabilities, identity."""
        return await self.request("server/discover", {}, authorization=authorization)

    async def list_tools(self, authorization: str | None) -> McpReply:
        return await self.request("tools/list", {}, authorization=authorization)

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, object],
        authorization: str | None,
        *,
        headers: Sequence[tuple[str, str]] = (),
    ) -> McpReply:
        """`tools/call`. Pass `Mcp-Param-*` headers (2026-07-28 `x-mcp-header`) in `headers`."""
        params = {"name": name, "arguments": dict(arguments)}
        return await self.request(
            "tools/call", params, authorization=authorization, headers=headers
        )

    async def ping(self, authorization: str | None) -> McpReply:
        """`ping` (removed in 2026-07-28, where a server answers it as an unknown method)."""
        return await self.request("ping", None, authorization=authorization)

    async def get_stream(
        self,
        authorization: str | None,
        *,
        headers: Sequence[tuple[str, str]] = (),
        max_bytes: int = 4096,
        read_until: ReadUntil | None = None,
    ) -> Response:
        """GET the endpoint for the standalone SSE stream (legacy; 2026-07-28 servers answer
        405), reading at most `max_bytes` and by default stopping at the first complete event."""
        request_headers = [
            ("accept", "text/event-stream"),
            *self._common_headers(authorization),
            *headers,
        ]
        return await self.http.request(
            "GET",
            self.url,
            headers=request_headers,
            max_body=max_bytes,
            read_until=read_until or _first_event,
        )

    async def delete_session(
        self, authorization: str | None, *, headers: Sequence[tuple[str, str]] = ()
    ) -> Response:
        """DELETE the session (legacy). The session id is kept, so its reuse can be probed."""
        request_headers = [*self._common_headers(authorization), *headers]
        return await self.http.request("DELETE", self.url, headers=request_headers)

    def _common_headers(
        self, authorization: str | None, *, session: bool = True
    ) -> list[tuple[str, str]]:
        headers = list(self.extra_headers)
        if authorization is not None:
            headers.append(("authorization", authorization))
        version = self.negotiated_version
        if version is not None and sends_version_header(version):
            headers.append(("mcp-protocol-version", version))
        if session and self.session_id is not None and not self.stateless:
            headers.append(("mcp-session-id", self.session_id))
        return headers


def parse_reply(response: Response, request_id: int | str | None) -> McpReply:
    """The messages of a JSON or SSE body, and the response to `request_id` among them."""
    return _reply(response, request_id)


def _reply(response: Response, request_id: int | str | None) -> McpReply:
    messages: tuple[JsonRpcMessage, ...] = ()
    if response.content_type == "text/event-stream":
        messages = event_messages(parse_sse(response.body))
    elif "json" in response.content_type or response.body.lstrip()[:1] in {b"{", b"["}:
        messages = parse_json_messages(response.body)
    reply = next(
        (
            m
            for m in messages
            if isinstance(m, JsonRpcResponse)
            and request_id is not None
            and same_id(m.id, request_id)
        ),
        None,
    )
    return McpReply(response=response, messages=messages, reply=reply)


def _supported_choice(data: object) -> str | None:
    """The newest revision we speak from an `UnsupportedProtocolVersionError`'s `supported`."""
    supported = data.get("supported") if isinstance(data, Mapping) else None
    if not isinstance(supported, list):
        return None
    known = [v for v in ProtocolVersion if v in supported]
    return max(known) if known else None


def _first_event(body: bytes) -> bool:
    return b"\n\n" in body or b"\r\n\r\n" in body or b"\r\r" in body
