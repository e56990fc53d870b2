"""The MCP tools: small, but each touches per-user data so authorization mistakes show.

Each descriptor says what the tool needs and does, as a careful server would: MCP tool
`annotations` (read-only, destructive, open-world) and the OAuth scope it requires in
`securitySchemes` (the per-tool auth declaration of SEP-1488 and the OpenAI Apps SDK).
`fetch_upstream` is listed only when the server has an upstream API to call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from simulators.reference.config import READ_SCOPE, WRITE_SCOPE
from simulators.reference.state import ReferenceState, ToolCall
from simulators.reference.upstream import UpstreamApi


@dataclass(frozen=True, slots=True, kw_only=True)
class Caller:
    subject: str
    client_id: str | None
    resource: str
    token: str = field(repr=False)  # the bearer token the call came with


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolContext:
    state: ReferenceState
    caller: Caller
    upstream: UpstreamApi | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolResult:
    text: str
    structured: dict[str, object]
    is_error: bool = False

    def as_mcp(self) -> dict[str, object]:
        return {
            "content": [{"type": "text", "text": self.text}],
            "structuredContent": self.structured,
            "isError": self.is_error,
        }


Runner = Callable[[ToolContext, Mapping[str, object]], Awaitable[ToolResult]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Tool:
    name: str
    description: str
    required_scope: str
    properties: tuple[tuple[str, str], ...]  # (argument name, JSON type), all required
    run: Runner
    annotations: Mapping[str, bool] = MappingProxyType({})
    needs_upstream: bool = False

    def available(self, upstream: UpstreamApi | None) -> bool:
        return upstream is not None or not self.needs_upstream

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "description": self.description,
            "inputSchema": {
                "type": "object",
                "properties": {name: {"type": kind} for name, kind in self.properties},
                "required": [name for name, _ in self.properties],
            },
            "annotations": dict(self.annotations),
            "securitySchemes": [{"type": "oauth2", "scopes": [self.required_scope]}],
        }

    async def call(self, ctx: ToolContext, args: Mapping[str, object]) -> ToolResult:
        result = await self.run(ctx, args)
        if not result.is_error:
            ctx.state.record_tool_call(
                ToolCall(
                    tool=self.name,
                    subject=ctx.caller.subject,
                    client_id=ctx.caller.client_id,
                    resource=ctx.caller.resource,
                    arguments=tuple((k, str(v)) for k, v in args.items()),
                )
            )
        return result


async def _whoami(ctx: ToolContext, args: Mapping[str, object]) -> ToolResult:
    return ToolResult(text=ctx.caller.subject, structured={"subject": ctx.caller.subject})


async def _list_notes(ctx: ToolContext, args: Mapping[str, object]) -> ToolResult:
    notes = [{"id": n.id, "text": n.text} for n in ctx.state.notes(ctx.caller.subject)]
    text = "\n".join(f"{n['id']}: {n['text']}" for n in notes) or "(no notes)"
    return ToolResult(text=text, structured={"notes": notes})


async def _delete_note(ctx: ToolContext, args: Mapping[str, object]) -> ToolResult:
    note_id = args.get("id")
    if not isinstance(note_id, str):
        return ToolResult(text="Argument 'id' must be a string.", structured={}, is_error=True)
    caller = ctx.caller
    note = ctx.state.delete_note(
        caller.subject, note_id, client_id=caller.client_id, resource=caller.resource
    )
    if note is None:
        return ToolResult(text=f"No note {note_id!r}.", structured={}, is_error=True)
    return ToolResult(text=f"Deleted note {note.id}.", structured={"deleted": note.id})


async def _fetch_upstream(ctx: ToolContext, args: Mapping[str, object]) -> ToolResult:
    if ctx.upstream is None:  # pragma: no cover - the tool is not listed without an upstream
        return ToolResult(text="No upstream API is configured.", structured={}, is_error=True)
    call = await ctx.upstream.get(ctx.caller.token)
    ctx.state.record_upstream_call(call)
    if call.status is None:
        return ToolResult(
            text=f"Upstream unreachable ({call.error}).", structured={}, is_error=True
        )
    return ToolResult(text=f"Upstream answered {call.status}.", structured={"status": call.status})


READ_ONLY: Final = MappingProxyType({"readOnlyHint": True, "openWorldHint": False})


TOOLS: Final[Mapping[str, Tool]] = MappingProxyType(
    {
        tool.name: tool
        for tool in (
            Tool(
                name="whoami",
                description="Return the authenticated user.",
                required_scope=READ_SCOPE,
                properties=(),
                run=_whoami,
                annotations=READ_ONLY,
            ),
            Tool(
                name="list_notes",
                description="List the caller's notes.",
                required_scope=READ_SCOPE,
                properties=(),
                run=_list_notes,
                annotations=READ_ONLY,
            ),
            Tool(
                name="delete_note",
                description="Delete one of the caller's notes by id.",
                required_scope=WRITE_SCOPE,
                properties=(("id", "string"),),
                run=_delete_note,
                annotations=MappingProxyType({"readOnlyHint": False, "destructiveHint": True}),
            ),
            Tool(
                name="fetch_upstream",
                description="Sync the caller's account with the upstream API.",
                required_scope=READ_SCOPE,
                properties=(),
                run=_fetch_upstream,
                annotations=MappingProxyType({"readOnlyHint": False, "openWorldHint": True}),
                needs_upstream=True,
            ),
        )
    }
)
