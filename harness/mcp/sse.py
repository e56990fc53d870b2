"""An incremental `text/event-stream` parser (WHATWG HTML §9.2), and a stop condition for
reading a response stream only until the JSON-RPC response to a request has arrived.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.http import ReadUntil
from harness.mcp.jsonrpc import (
    JsonRpcId,
    JsonRpcMessage,
    JsonRpcResponse,
    parse_json_messages,
    same_id,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SseEvent:
    event: str  # "message" when the stream named no type
    data: str  # data lines joined with "\n"
    id: str | None  # the `id` field of this event, if it had one
    retry: int | None = None


class SseParser:
    """Feed bytes as they arrive; complete events come out. Line ends: CRLF, LF or CR."""

    def __init__(self) -> None:
        self._buffer = b""
        self._after_cr = False
        self._started = False
        self._data: list[str] = []
        self._event = ""
        self._id: str | None = None
        self._retry: int | None = None
        self.last_event_id: str | None = None  # survives events with no data (priming events)
        self.comments = 0

    def feed(self, chunk: bytes) -> list[SseEvent]:
        self._buffer += chunk
        events: list[SseEvent] = []
        while (line := self._next_line(final=False)) is not None:
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def finish(self) -> None:
        """End of stream: a pending line is processed; an event without its blank line is
        dropped (WHATWG), so nothing more comes out."""
        line = self._next_line(final=True)
        if line is not None:
            self._line(line)
        self._buffer = b""

    def _next_line(self, *, final: bool) -> str | None:
        buffer = self._buffer
        if self._after_cr and buffer:
            self._after_cr = False
            buffer = buffer.removeprefix(b"\n")  # the LF of a CRLF split across chunks
        lf, cr = buffer.find(b"\n"), buffer.find(b"\r")
        if cr != -1 and (lf == -1 or cr < lf):
            end, skip = cr, 2 if buffer[cr + 1 : cr + 2] == b"\n" else 1
            self._after_cr = cr + 1 == len(buffer)
        elif lf != -1:
            end, skip = lf, 1
        elif final and buffer:
            end, skip = len(buffer), 0
        else:
            self._buffer = buffer
            return None
        self._buffer = buffer[end + skip :]
        line = buffer[:end].decode("utf-8", "replace")
        if not self._started:
            self._started = True
            line = line.removeprefix("\ufeff")
        return line

    def _line(self, line: str) -> SseEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            self.comments += 1
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._id = value
            self.last_event_id = value
        elif name == "retry" and value.isdigit():
            self._retry = int(value)
        return None

    def _dispatch(self) -> SseEvent | None:
        data, event, event_id, retry = self._data, self._event, self._id, self._retry
        self._data, self._event, self._id, self._retry = [], "", None, None
        if not data:
            return None
        return SseEvent(event=event or "message", data="\n".join(data), id=event_id, retry=retry)


def parse_sse(body: bytes) -> tuple[SseEvent, ...]:
    """All complete events of a (possibly cut) stream body."""
    parser = SseParser()
    events = parser.feed(body)
    parser.finish()
    return tuple(events)


def event_messages(events: tuple[SseEvent, ...] | list[SseEvent]) -> tuple[JsonRpcMessage, ...]:
    """The JSON-RPC messages carried by `message` events."""
    return tuple(m for e in events if e.event == "message" for m in parse_json_messages(e.data))


def until_response(request_id: JsonRpcId) -> ReadUntil:
    """A `read_until` for `HttpClient.request`: stop once the response to `request_id` arrived,
    so a stream the server never closes does not hold the request until its timeout."""
    parser = SseParser()
    consumed = 0

    def arrived(body: bytes) -> bool:
        nonlocal consumed
        fresh, consumed = body[consumed:], len(body)
        return any(
            isinstance(message, JsonRpcResponse) and same_id(message.id, request_id)
            for message in event_messages(parser.feed(fresh))
        )

    return arrived
