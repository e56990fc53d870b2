"""What each fault does to a mitmproxy flow.

Request faults act in the `request` hook (an answer made up by the proxy means the upstream never
sees the request); response faults act in the `response` hook on what the upstream answered.
Each action returns whether it did something, which is what `fired` counts.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from mitmproxy import http

from harness.proxy.faults import Direction, Fault, RequestView
from harness.proxy.inject import corpus_text, inject
from harness.proxy.rewrite import header
from harness.redact import fingerprint

PRM_WELL_KNOWN = "/.well-known/oauth-protected-resource"
_RESOURCE_METADATA = re.compile(r'resource_metadata="([^"]*)"')
_Edit = Callable[[dict[str, object]], bool]


@dataclass(slots=True)
class Memory:
    """What the proxy remembers across flows (event-loop thread only): when each token was first
    seen, which tokens an expire-token fault expired, and the upstream's own challenge URL."""

    first_seen: dict[str, float] = field(default_factory=dict)  # token fingerprint -> time
    expired: dict[str, Fault] = field(default_factory=dict)
    # The upstream's own challenge URL per origin the client addresses (as the client sees it).
    resource_metadata: dict[str, str] = field(default_factory=dict)

    def token_age(self, bearer: str, now: float) -> float:
        return now - self.first_seen.setdefault(fingerprint(bearer), now)


def request_view(flow: http.HTTPFlow) -> RequestView:
    request = flow.request
    fields = request.headers.fields
    authorization = (header(fields, b"authorization") or b"").decode("latin-1")
    scheme, _, credentials = authorization.partition(" ")
    bearer = credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None
    grant_type = None
    rpc: tuple[str | None, str | None] = (None, None)
    kind = (header(fields, b"content-type") or b"").decode("latin-1").lower()
    if "x-www-form-urlencoded" in kind:
        grant_type = request.urlencoded_form.get("grant_type")
    elif "json" in kind:
        rpc = _rpc(request.get_content(strict=False) or b"")
    return RequestView(
        method=request.method,
        path=urlsplit(request.path).path,
        rpc_method=rpc[0],
        rpc_name=rpc[1],
        bearer=bearer,
        grant_type=grant_type,
    )


def _rpc(body: bytes) -> tuple[str | None, str | None]:
    """The JSON-RPC method and the tool name (or resource URI) of the first message."""
    try:
        message = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, None
    first = message[0] if isinstance(message, list) and message else message
    if not isinstance(first, dict) or not isinstance(first.get("method"), str):
        return None, None
    params = first.get("params")
    name = params.get("name") or params.get("uri") if isinstance(params, dict) else None
    return first["method"], name if isinstance(name, str) else None


def challenge_url(memory: Memory, client_origin: str, path: str) -> str:
    """The PRM URL for a made-up challenge: the one the upstream's own challenges name, else the
    RFC 9728 §3.1 path-suffixed default for the requested path."""
    if client_origin in memory.resource_metadata:
        return memory.resource_metadata[client_origin]
    return client_origin + PRM_WELL_KNOWN + ("" if path == "/" else path)


def _json_answer(status: int, document: dict[str, object], **headers: str) -> http.Response:
    return http.Response.make(
        status,
        json.dumps(document).encode(),
        {"content-type": "application/json", "cache-control": "no-store", **headers},
    )


async def act_on_request(
    fault: Fault, flow: http.HTTPFlow, view: RequestView, memory: Memory, client_origin: str
) -> bool:
    """Apply a request-direction fault; True if it acted."""
    spec = fault.spec
    kind = spec.kind
    if kind == "strip-bearer":
        flow.request.headers.pop("authorization", None)
    elif kind == "expire-token":
        assert view.bearer is not None  # the kind applies only to bearer requests
        if memory.token_age(view.bearer, time.monotonic()) < spec.number("age", 0):
            return False
        memory.expired[fingerprint(view.bearer)] = fault
        flow.response = expired_answer(memory, client_origin, view.path)
    elif kind == "discovery-404":
        flow.response = _json_answer(404, {"error": "not_found"})
    elif kind == "refresh-fails-once":
        flow.response = _json_answer(
            400,
            {"error": "invalid_grant", "error_description": "refresh token rejected (injected)"},
        )
    elif kind == "rate-limit":
        retry = spec.param("retry", "1")
        flow.response = _json_answer(
            429, {"error": "rate_limited", "retry_after": retry}, **{"retry-after": retry}
        )
    elif kind == "latency":
        await asyncio.sleep(spec.number("ms", 1000) / 1000)  # the injected fault itself
    elif kind == "reset":
        flow.kill()  # type: ignore[no-untyped-call]
    else:
        return False
    return True


def expired_answer(memory: Memory, client_origin: str, path: str) -> http.Response:
    """401 invalid_token with an RFC 6750 §3 challenge naming the PRM (RFC 9728 §5.1)."""
    metadata = challenge_url(memory, client_origin, path)
    challenge = (
        f'Bearer error="invalid_token", error_description="The access token expired", '
        f'resource_metadata="{metadata}"'
    )
    return _json_answer(401, {"error": "invalid_token"}, **{"www-authenticate": challenge})


async def act_on_response(fault: Fault, flow: http.HTTPFlow) -> bool:
    """Apply a response-direction fault to what the upstream answered; True if it acted."""
    response = flow.response
    if response is None:
        return False
    kind = fault.spec.kind
    if kind == "latency":
        await asyncio.sleep(fault.spec.number("ms", 1000) / 1000)  # the fault itself
        return True
    if kind == "reset":
        flow.kill()  # type: ignore[no-untyped-call]
        return True
    if kind == "authorize-307":
        return _redirect_307(response)
    if kind == "corrupt-challenge":
        return _corrupt(response, fault.spec.param("how", "garble"))
    content_type = response.headers.get("content-type")
    body = response.get_content(strict=False) or b""
    changed: bytes | None = None
    if kind == "inject-prompt":
        changed = inject(body, content_type, corpus_text(fault.spec.param("id") or None)[1])
    elif kind == "drop-refresh-token":
        changed = _edit_json(body, lambda doc: doc.pop("refresh_token", None) is not None)
    elif kind == "rotate-authorization-server":
        target = fault.spec.param("to")
        changed = _edit_json(body, lambda doc: _rotate(doc, target))
    if changed is None:
        return False
    response.content = changed
    return True


def _redirect_307(response: http.Response) -> bool:
    location = urlsplit(response.headers.get("location") or "")
    fields = {key for key, _ in parse_qsl(location.query)} | {
        key for key, _ in parse_qsl(location.fragment)
    }
    if response.status_code not in {301, 302, 303} or not fields & {"code", "error"}:
        return False
    response.status_code = 307
    response.reason = "Temporary Redirect"
    return True


def _corrupt(response: http.Response, how: str) -> bool:
    challenge = response.headers.get("www-authenticate")
    if response.status_code != 401 or not challenge:
        return False
    if how == "remove":
        del response.headers["www-authenticate"]
    elif how == "drop-metadata":
        stripped = _RESOURCE_METADATA.sub("", challenge).replace(", ,", ",").strip(" ,")
        response.headers["www-authenticate"] = stripped.rstrip(",") or "Bearer"
    else:  # garble: an unterminated quoted string, as a broken proxy or template produces
        response.headers["www-authenticate"] = challenge.rstrip('"').replace('="', "=\"'", 1)
    return True


def _edit_json(body: bytes, edit: _Edit) -> bytes | None:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(document, dict) or not edit(document):
        return None
    return json.dumps(document).encode()


def _rotate(document: dict[str, object], target: str) -> bool:
    servers = document.get("authorization_servers")
    if not isinstance(servers, list) or servers == [target]:
        return False
    document["authorization_servers"] = [target]
    return True


def remember_challenge(memory: Memory, client_origin: str, response: http.Response) -> None:
    """Keep the upstream's own resource_metadata URL (already rewritten for the client)."""
    if response.status_code == 401:
        challenge = (header(response.headers.fields, b"www-authenticate") or b"").decode("latin-1")
        found = _RESOURCE_METADATA.search(challenge)
        if found:
            memory.resource_metadata[client_origin] = found.group(1)


def acts_on_response(fault: Fault) -> bool:
    return fault.spec.direction is Direction.RESPONSE
