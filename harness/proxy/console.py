"""The live view: one MCP- and OAuth-aware line per flow.

    POST /token authorization_code → 200, access token sha256:1a2b3c4d, expires in 3600 s
    tools/call delete_note → 403 insufficient_scope
    GET /.well-known/oauth-protected-resource/mcp → 404  [discovery-404#1]

Built from the flow's parsed request and its raw response without redacting the whole flow
(that is deferred; see the addon): the line shows the path without its query, the JSON-RPC
method and tool, the grant type, status, error codes and Retry-After, and tokens only as
fingerprints, so no secret reaches the console.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from harness.proxy.faults import RequestView
from harness.proxy.record import RawExchange
from harness.redact import fingerprint

_CHALLENGE_ERROR = re.compile(rb'error="([^"]*)"')
MAX_PARSED = 64 * 1024


def describe(raw: RawExchange, view: RequestView, fired: Sequence[str] = ()) -> str:
    if view.rpc_method:
        what = view.rpc_method + (f" {view.rpc_name}" if view.rpc_name else "")
    else:
        what = f"{view.method} {view.path}" + (f" {view.grant_type}" if view.grant_type else "")
    line = f"{what} → {_outcome(raw)}"
    return _printable(line + (f"  [{', '.join(fired)}]" if fired else ""))


def _printable(text: str) -> str:
    """Control and format characters escaped (`\\x1b`): the line carries strings the server and
    the client chose, and an ANSI escape or a bidi override in them would drive the terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def _outcome(raw: RawExchange) -> str:
    if raw.status is None or raw.response is None:
        return f"error: {raw.error}"
    headers = {name.lower(): value for name, value in raw.response.headers}
    status = str(raw.status)
    parts: list[str] = []
    challenge = _CHALLENGE_ERROR.search(headers.get(b"www-authenticate", b""))
    document = _document(headers.get(b"content-type", b""), raw.response.body)
    if challenge:
        status += " " + challenge.group(1).decode("ascii", "replace")
    elif isinstance(document, dict) and isinstance(document.get("error"), str):
        status += f" {document['error']}"
    if isinstance(document, dict):
        parts += _facts(document)
    if b"retry-after" in headers:
        parts.append(f"Retry-After {headers[b'retry-after'].decode('ascii', 'replace')}")
    if raw.status in {301, 302, 303, 307, 308} and b"location" in headers:
        parts.append("to " + urlsplit(headers[b"location"].decode("utf-8", "replace")).path)
    return ", ".join([status, *parts])


def _facts(document: dict[str, object]) -> list[str]:
    facts = []
    for key, label in (("access_token", "access token"), ("refresh_token", "refresh token")):
        value = document.get(key)
        if isinstance(value, str) and value:
            facts.append(f"{label} {fingerprint(value)}")
    if isinstance(document.get("expires_in"), int):
        facts.append(f"expires in {document['expires_in']} s")
    result = document.get("result")
    if isinstance(result, dict) and result.get("isError") is True:
        facts.append("tool error")
    rpc_error = document.get("error")
    if isinstance(rpc_error, dict):
        facts.append(f"JSON-RPC error {rpc_error.get('code')}")
    return facts


def _document(content_type: bytes, body: bytes) -> object:
    """The JSON body (or the first SSE event's data), if small enough to read for one line."""
    if len(body) > MAX_PARSED:
        return None
    if b"event-stream" in content_type:
        data = [line[5:] for line in body.splitlines() if line.startswith(b"data:")]
        body = data[0] if data else b""
    elif b"json" not in content_type:
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
