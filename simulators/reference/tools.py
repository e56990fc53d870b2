"""The MCP tools: small, but each touches per-user data so authorization mistakes show."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from simulators.reference.config import READ_SCOPE, WRITE_SCOPE
from simulators.reference.state import ReferenceState, ToolCall


@dataclass(frozen=True, slots=True, kw_only=True)
class Caller:
    subject: str
    client_id: str | None
    resource: str


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


Runner = Callable[[ReferenceState, Caller, Mapping[str, object]], ToolResult]


@dataclass(frozen=True, slots=True, kw_only=True)
class Tool:
    name: str
    description: str
    required_scope: str
    properties: tuple[tuple[str, str], ...]  # (argument name, JSON type), all required
    run: Runner

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "description": self.description,
            "inputSchema": {
                "type": "object",
                "properties": {name: {"type": kind} for name, kind in self.properties},
                "required": [name for name, _ in self.properties],
            },
        }

    def call(self, state: ReferenceState, caller: Caller, args: Mapping[str, object]) -> ToolResult:
        result = self.run(state, caller, args)
        if not result.is_error:
            state.record_tool_call(
                ToolCall(
                    tool=self.name,
                    subject=caller.subject,
                    client_id=caller.client_id,
                    resource=caller.resource,
                    arguments=tuple((k, str(v)) for k, v in args.items()),
                )
            )
        return result


def _whoami(state: ReferenceState, caller: Caller, args: Mapping[str, object]) -> ToolResult:
    return ToolResult(text=caller.subject, structured={"subject": caller.subject})


def _list_notes(state: ReferenceState, caller: Caller, args: Mapping[str, object]) -> ToolResult:
    notes = [{"id": n.id, "text": n.text} for n in state.notes(caller.subject)]
    text = "\n".join(f"{n['id']}: {n['text']}" for n in notes) or "(no notes)"
    return ToolResult(text=text, structured={"notes": notes})


def _delete_note(state: ReferenceState, caller: Caller, args: Mapping[str, object]) -> ToolResult:
    note_id = args.get("id")
    if not isinstance(note_id, str):
        return ToolResult(text="Argument 'id' must be a string.", structured={}, is_error=True)
    note = state.delete_note(
        caller.subject, note_id, client_id=caller.client_id, resource=caller.resource
    )
    if note is None:
        return ToolResult(text=f"No note {note_id!r}.", structured={}, is_error=True)
    return ToolResult(text=f"Deleted note {note.id}.", structured={"deleted": note.id})


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
            ),
            Tool(
                name="list_notes",
                description="List the caller's notes.",
                required_scope=READ_SCOPE,
                properties=(),
                run=_list_notes,
            ),
            Tool(
                name="delete_note",
                description="Delete one of the caller's notes by id.",
                required_scope=WRITE_SCOPE,
                properties=(("id", "string"),),
                run=_delete_note,
            ),
        )
    }
)
