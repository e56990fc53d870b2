"""The live view: one MCP- and OAuth-aware line per flow, built from the redacted Exchange.

    POST /token authorization_code → 200, access token sha256:1a2b3c4d, expires in 3600 s
    tools/call delete_note → 403 insufficient_scope
    GET /.well-known/oauth-protected-resource/mcp → 404  [discovery-404#1]

Only the recorded (already fingerprinted) evidence is read, so no secret can reach the console.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from urllib.parse import parse_qsl, urlsplit

from harness.exchange import Exchange

_CHALLENGE_ERROR = re.compile(r'error="([^"]*)"')


def describe(exchange: Exchange, fired: Sequence[str] = ()) -> str:
    request = exchange.request
    path = urlsplit(request.url).path or "/"
    what = f"{request.method} {path}"
    body = _json(request.body_excerpt)
    if isinstance(body, dict) and isinstance(body.get("method"), str):
        what = _rpc(body)
    else:
        grant = dict(parse_qsl(request.body_excerpt)).get("grant_type")
        what += f" {grant}" if grant else ""
    line = f"{what} → {_outcome(exchange)}"
    return line + (f"  [{', '.join(fired)}]" if fired else "")


def _rpc(message: dict[str, object]) -> str:
    method = str(message["method"])
    params = message.get("params")
    name = params.get("name") or params.get("uri") if isinstance(params, dict) else None
    return f"{method} {name}" if isinstance(name, str) else method


def _outcome(exchange: Exchange) -> str:
    response = exchange.response
    if response is None:
        return f"error: {exchange.error}"
    headers = {name.lower(): value for name, value in response.headers}
    parts = [str(response.status)]
    challenge = _CHALLENGE_ERROR.search(headers.get("www-authenticate", ""))
    document = _json(_first_data(response.body_excerpt))
    if challenge:
        parts[0] += f" {challenge.group(1)}"
    elif isinstance(document, dict) and isinstance(document.get("error"), str):
        parts[0] += f" {document['error']}"
    if isinstance(document, dict):
        parts += _token_facts(document)
    if "retry-after" in headers:
        parts.append(f"Retry-After {headers['retry-after']}")
    if response.status in {301, 302, 303, 307, 308} and "location" in headers:
        parts.append(f"to {urlsplit(headers['location']).path}")
    return ", ".join(parts)


def _token_facts(document: dict[str, object]) -> list[str]:
    facts = []
    if isinstance(document.get("access_token"), str):
        facts.append(f"access token {document['access_token']}")
    if isinstance(document.get("refresh_token"), str):
        facts.append(f"refresh token {document['refresh_token']}")
    if isinstance(document.get("expires_in"), int):
        facts.append(f"expires in {document['expires_in']} s")
    result = document.get("result")
    if isinstance(result, dict) and result.get("isError") is True:
        facts.append("tool error")
    rpc_error = document.get("error")
    if isinstance(rpc_error, dict):
        facts.append(f"JSON-RPC error {rpc_error.get('code')}")
    return facts


def _first_data(body: str) -> str:
    """The body, or the first SSE event's data."""
    for line in body.splitlines():
        if line.startswith("data:"):
            return line[5:].strip()
    return body


def _json(text: str) -> object:
    try:
        return json.loads(text) if text.startswith(("{", "[")) else None
    except ValueError:
        return None
