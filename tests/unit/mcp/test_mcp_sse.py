from __future__ import annotations

import json

import pytest

from harness.mcp.jsonrpc import JsonRpcNotification, JsonRpcResponse
from harness.mcp.sse import SseEvent, SseParser, event_messages, parse_sse, until_response

STREAM = (
    b": keep-alive comment\n"
    b"id: prime-1\n"
    b"data:\n"
    b"\n"
    b"event: message\n"
    b'data: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}\n'
    b"\n"
    b"id: 7\r\n"
    b"retry: 1500\r\n"
    b'data: {"jsonrpc":"2.0",\r\n'
    b'data:  "id":1,"result":{"ok":true}}\r\n'
    b"\r\n"
)


def test_parse_whole_stream() -> None:
    events = parse_sse(STREAM)
    assert [e.event for e in events] == ["message", "message", "message"]
    assert (events[0].id, events[0].data) == ("prime-1", "")  # a priming event (2025-11-25)
    assert events[2].id == "7"
    assert events[2].retry == 1500
    assert events[2].data == '{"jsonrpc":"2.0",\n "id":1,"result":{"ok":true}}'
    messages = event_messages(events)
    assert len(messages) == 2
    assert isinstance(messages[0], JsonRpcNotification)
    assert isinstance(messages[1], JsonRpcResponse)
    assert messages[1].result == {"ok": True}


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64])
def test_chunk_boundaries_do_not_matter(size: int) -> None:
    parser = SseParser()
    events: list[SseEvent] = []
    for start in range(0, len(STREAM), size):
        events += parser.feed(STREAM[start : start + size])
    parser.finish()
    assert tuple(events) == parse_sse(STREAM)
    assert parser.last_event_id == "7"
    assert parser.comments == 1


def test_cr_only_line_ends_split_across_chunks() -> None:
    parser = SseParser()
    assert parser.feed(b"data: a\r") == []
    assert parser.feed(b"\r") == [SseEvent(event="message", data="a", id=None)]
    assert parser.feed(b"data: b\r\ndata:c\r") == []
    assert parser.feed(b"\n") == []  # the LF completes the CRLF; no blank line yet
    assert parser.feed(b"\r\n") == [SseEvent(event="message", data="b\nc", id=None)]


def test_bom_field_without_colon_and_unknown_fields() -> None:
    events = parse_sse(b"\xef\xbb\xbfdata: x\nfoo: bar\ndata\n\n")
    assert events == (SseEvent(event="message", data="x\n", id=None),)


def test_incomplete_event_at_end_of_stream_is_dropped() -> None:
    assert parse_sse(b"data: complete\n\ndata: cut") == (
        SseEvent(event="message", data="complete", id=None),
    )


def test_multibyte_utf8_split_across_chunks() -> None:
    raw = "data: grüß\n\n".encode()
    parser = SseParser()
    events = [e for i in range(len(raw)) for e in parser.feed(raw[i : i + 1])]
    assert events[0].data == "grüß"


def test_non_message_events_carry_no_messages() -> None:
    events = parse_sse(b"event: endpoint\ndata: /messages?s=1\n\n")
    assert events[0].event == "endpoint"
    assert event_messages(events) == ()


def test_until_response_stops_an_endless_stream() -> None:
    done = until_response(3)
    body = b""
    chunks = [
        b'data: {"jsonrpc":"2.0","method":"notifications/message","params":{}}\n\n',
        b'data: {"jsonrpc":"2.0","id":2,"result":{}}\n\n',  # another request's response
        b'data: {"jsonrpc":"2.0","id":3,',
        b'"result":{}}\n',
        b"\n",
    ]
    seen = []
    for chunk in chunks:
        body += chunk  # the HTTP layer passes the whole body read so far
        seen.append(done(body))
    assert seen == [False, False, False, False, True]


def test_until_response_matches_ids_loosely() -> None:
    done = until_response("3")
    assert done(
        b"data: " + json.dumps({"jsonrpc": "2.0", "id": 3, "result": {}}).encode() + b"\n\n"
    )
