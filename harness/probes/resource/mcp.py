"""MCP calls as the resource-server probes make them, and what the server says about its tools.

`CallOutcome` is the evidence of one MCP request: the response (or the transport failure), the
JSON-RPC result or error, and the Bearer challenge. Tools are described from `tools/list`:
`annotations.readOnlyHint` says which can be called without side effects (the harness calls no
other tool unless the configuration names it), and a per-tool `securitySchemes` declaration
(SEP-1488, the OpenAI Apps SDK) says which OAuth scopes a tool requires.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import EllipsisType

from harness.engine import Run
from harness.errors import TargetError
from harness.http import Exchange, Response
from harness.mcp.client import McpClient, McpReply
from harness.oauth.wwwauth import Challenge, find_bearer, parse_www_authenticate
from harness.probes.resource.target import McpProbe

MAX_TOOLS = 16  # tools judged per run, at most


@dataclass(frozen=True, slots=True, kw_only=True)
class CallOutcome:
    """One MCP request and its outcome."""

    label: str
    response: Response | None
    error: str | None = None  # the transport failure, when there is no response
    result: Mapping[str, object] | None = field(default=None, repr=False)
    rpc_error: str | None = None  # "code: message" of a JSON-RPC error

    @classmethod
    def of(cls, label: str, reply: McpReply) -> CallOutcome:
        error = reply.reply.error if reply.reply is not None else None
        return cls(
            label=label,
            response=reply.response,
            result=reply.result,
            rpc_error=f"{error.code}: {error.message}" if error is not None else None,
        )

    @classmethod
    def failed(cls, label: str, exc: TargetError) -> CallOutcome:
        return cls(label=label, response=None, error=str(exc))

    @property
    def status(self) -> int | None:
        return self.response.status if self.response is not None else None

    @property
    def served(self) -> bool:
        """2xx with a JSON-RPC result: the request got past authorization."""
        return self.status is not None and 200 <= self.status < 300 and self.result is not None

    @property
    def tool_error(self) -> bool:
        """A `tools/call` result flagged `isError` (the tool, not the transport, refused)."""
        return self.result is not None and self.result.get("isError") is True

    @property
    def executed(self) -> bool:
        """A tool result that is not an error: the tool ran."""
        return self.served and not self.tool_error

    @property
    def unanswered(self) -> bool:
        """No usable answer: a transport failure, rate limiting (429) or a server error (5xx).
        Such a call was not exercised; it is neither served nor refused."""
        status = self.status
        return status is None or status == 429 or status >= 500

    @property
    def refusal(self) -> bool:
        """A real refusal: 401 or 403, or a JSON-RPC error or tool error result instead of the
        tool's result."""
        if self.unanswered:
            return False
        return self.status in {401, 403} or self.rpc_error is not None or self.tool_error

    @property
    def challenge(self) -> Challenge | None:
        if self.response is None:
            return None
        return find_bearer(parse_www_authenticate(self.response.header_all("www-authenticate")))

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return (self.response.exchange,) if self.response is not None else ()

    def describe(self) -> str:
        if self.response is None:
            return f"{self.label}: {self.error}"
        parts = [self.response.summary()]
        if self.rpc_error:
            parts.append(f"JSON-RPC error {self.rpc_error}")
        elif self.result is not None:
            parts.append("a tool error result" if self.tool_error else "a result")
        challenge = self.response.header("www-authenticate")
        if challenge and self.status in {401, 403}:
            parts.append(f"WWW-Authenticate: {challenge}")
        return f"{self.label}: {', '.join(parts)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolInfo:
    name: str
    read_only: bool
    needs_arguments: bool
    declared_scopes: tuple[str, ...] | None  # from securitySchemes, when unambiguous


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolUse:
    """A tool the harness may call: the configured arguments, or none for a read-only tool."""

    name: str
    arguments: Mapping[str, object] = field(default_factory=dict)


class Session:
    """An MCP client with one credential, opened with `initialize` (legacy revisions)."""

    def __init__(self, run: Run, authorization: str | None, url: str | None = None) -> None:
        self.client: McpClient = McpProbe(run, url).client()
        self.authorization = authorization
        self.run = run

    @property
    def session_id(self) -> str | None:
        return self.client.session_id

    async def open(self, label: str = "initialize") -> CallOutcome:
        """`initialize` (legacy revisions); stateless revisions have no handshake, so the first
        request is a `tools/list` (as the bearer probes send), which needs no `server/discover`."""
        if self.client.stateless:
            outcome = await self.request(
                "tools/list", label=label.replace("initialize", "tools/list")
            )
        else:
            try:
                outcome = CallOutcome.of(label, await self.client.initialize(self.authorization))
            except TargetError as exc:
                return CallOutcome.failed(label, exc)
        if outcome.result is not None and self.run.spec_revision is None:
            # the report's spec revision: the first one the target accepted with a credential
            self.run.spec_revision = self.client.negotiated_version
        return outcome

    async def request(
        self,
        method: str,
        params: Mapping[str, object] | None = None,
        *,
        label: str,
        authorization: str | EllipsisType | None = ...,
        headers: Sequence[tuple[str, str]] = (),
    ) -> CallOutcome:
        """A request on this session; `authorization` overrides the session's credential."""
        sent = self.authorization if isinstance(authorization, EllipsisType) else authorization
        try:
            reply = await self.client.request(
                method, params or {}, authorization=sent, headers=headers
            )
        except TargetError as exc:
            return CallOutcome.failed(label, exc)
        return CallOutcome.of(label, reply)

    async def call_tool(self, tool: ToolUse, *, label: str | None = None) -> CallOutcome:
        params = {"name": tool.name, "arguments": dict(tool.arguments)}
        return await self.request("tools/call", params, label=label or f"tools/call {tool.name}")

    async def list_tools(self) -> tuple[CallOutcome, tuple[ToolInfo, ...]]:
        listed = await self.request("tools/list", label="tools/list")
        return listed, tools_of(listed.result)


def tools_of(result: Mapping[str, object] | None) -> tuple[ToolInfo, ...]:
    tools = result.get("tools") if result is not None else None
    if not isinstance(tools, list):
        return ()
    found = []
    for tool in tools[:MAX_TOOLS]:
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
            continue
        annotations, schema = tool.get("annotations"), tool.get("inputSchema")
        required = schema.get("required") if isinstance(schema, dict) else None
        found.append(
            ToolInfo(
                name=tool["name"],
                read_only=isinstance(annotations, dict) and annotations.get("readOnlyHint") is True,
                needs_arguments=bool(required),
                declared_scopes=_declared_scopes(tool),
            )
        )
    return tuple(found)


def _declared_scopes(tool: Mapping[str, object]) -> tuple[str, ...] | None:
    """The scopes of the tool's one `oauth2` security scheme; None when absent or ambiguous
    (several oauth2 alternatives, or a `noauth` alternative)."""
    meta = tool.get("_meta")
    schemes = tool.get("securitySchemes")
    if schemes is None and isinstance(meta, dict):
        schemes = meta.get("securitySchemes")
    if not isinstance(schemes, list):
        return None
    oauth = [s for s in schemes if isinstance(s, dict) and s.get("type") == "oauth2"]
    if len(oauth) != 1 or len(oauth) != len(schemes):
        return None
    scopes = oauth[0].get("scopes")
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes) or not scopes:
        return None
    return tuple(scopes)


def safe_tools(run: Run, tools: Sequence[ToolInfo]) -> tuple[ToolUse, ...]:
    """Tools callable without side effects: `[target].safe_tool`, then read-only tools that
    need no arguments (as the server annotates them)."""
    chosen: list[ToolUse] = []
    configured = run.config.safe_tool
    if configured is not None:
        chosen.append(ToolUse(name=configured.name, arguments=configured.arguments))
    chosen += [
        ToolUse(name=t.name)
        for t in tools
        if t.read_only and not t.needs_arguments and all(c.name != t.name for c in chosen)
    ]
    return tuple(chosen)


def result_text(result: Mapping[str, object] | None) -> str:
    """What a tool result says: its text content and its structured content, as text."""
    if result is None:
        return ""
    content = result.get("content")
    parts = [
        str(item.get("text"))
        for item in (content if isinstance(content, list) else [])
        if isinstance(item, dict) and item.get("type") == "text"
    ]
    structured = result.get("structuredContent")
    if structured is not None:
        parts.append(json.dumps(structured, ensure_ascii=False, sort_keys=True))
    return "\n".join(parts)
