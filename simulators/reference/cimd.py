"""Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document, as MCP pins it).

A `client_id` that is a URL names a JSON document describing the client. The authorization
endpoint fetches it, checks that the document's own `client_id` is exactly that URL (simple string
comparison) and that it describes a public client with acceptable redirect URIs, then treats the
described client like a registered one.

The reference target is a loopback development server, so it fetches only loopback `http` URLs
(a production AS would require `https` and refuse special-use addresses). The fetch is a bare
HTTP/1.1 GET over an asyncio stream: bounded in time and size, and redirects are never followed.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from simulators.reference.as_context import AsContext
from simulators.reference.defects import Defect
from simulators.reference.endpoints import redirect_matcher_for
from simulators.reference.models import PUBLIC_CLIENT, Client
from simulators.reference.redirects import LOOPBACK_HOSTS, registration_problem

MAX_DOCUMENT_BYTES: Final = 5 * 1024
FETCH_TIMEOUT_S: Final = 3.0
_MAX_HEAD_BYTES: Final = 4 * 1024


def is_metadata_document_url(client_id: str | None) -> bool:
    return bool(client_id) and str(client_id).lower().startswith(("http://", "https://"))


@dataclass(frozen=True, slots=True)
class Refused:
    reason: str


def url_problem(url: str) -> str | None:
    """Why `url` cannot name a client metadata document here."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "the client_id URL is malformed"
    if parts.fragment or "#" in url:
        return "the client_id URL must not contain a fragment"
    if parts.username is not None or parts.password is not None:
        return "the client_id URL must not contain userinfo"
    if not parts.path or parts.path == "/" or {".", ".."} & set(parts.path.split("/")):
        return "the client_id URL needs a path without dot segments"
    if parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS or port is None:
        return "this reference server fetches client metadata documents from loopback http only"
    return None


async def fetch(url: str) -> dict[str, object] | Refused:
    """GET `url`: a 200 JSON object of at most MAX_DOCUMENT_BYTES, else why not."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        "Accept: application/json\r\nConnection: close\r\n\r\n"
    ).encode()
    try:
        async with asyncio.timeout(FETCH_TIMEOUT_S):
            reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
            try:
                writer.write(request)
                await writer.drain()
                raw = await _read_bounded(reader, MAX_DOCUMENT_BYTES + _MAX_HEAD_BYTES)
            finally:
                writer.close()
    except (OSError, TimeoutError):
        return Refused("the client metadata document could not be fetched")
    if raw is None:
        return Refused("the client metadata document is too large")
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split(b" ")
    status = status_line[1] if len(status_line) > 1 else b""
    if status != b"200":
        return Refused(f"fetching the client metadata document gave HTTP {status.decode()}")
    if len(body) > MAX_DOCUMENT_BYTES:
        return Refused("the client metadata document is too large")
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return Refused("the client metadata document is not JSON")
    if not isinstance(document, dict):
        return Refused("the client metadata document is not a JSON object")
    return document


async def _read_bounded(reader: asyncio.StreamReader, limit: int) -> bytes | None:
    """Everything until EOF, or None when there is more than `limit` bytes."""
    data = bytearray()
    while len(data) <= limit:
        chunk = await reader.read(limit + 1 - len(data))
        if not chunk:
            return bytes(data)
        data += chunk
    return None


def describe_client(ctx: AsContext, url: str, document: dict[str, object]) -> Client | Refused:
    """The client `document` describes, if it is acceptable for the client id `url`."""
    if document.get("client_id") != url and not ctx.config.has(Defect.CIMD_CLIENT_ID_NOT_CHECKED):
        return Refused("the document's client_id is not the URL it was fetched from")
    uris = document.get("redirect_uris")
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
        return Refused("the document needs a non-empty list of redirect_uris")
    for uri in uris:
        if problem := registration_problem(uri):
            return Refused(problem)
    method = document.get("token_endpoint_auth_method", PUBLIC_CLIENT)
    if method != PUBLIC_CLIENT or "client_secret" in document:
        return Refused("only public clients (token_endpoint_auth_method none) are supported")
    grants = document.get("grant_types", ["authorization_code", "refresh_token"])
    name, scope = document.get("client_name"), document.get("scope")
    return Client(
        client_id=url,
        client_secret=None,
        redirect_uris=tuple(uris),
        token_endpoint_auth_method=PUBLIC_CLIENT,
        grant_types=tuple(g for g in grants if isinstance(g, str))
        if isinstance(grants, list)
        else ("authorization_code",),
        scope=scope if isinstance(scope, str) else None,
        client_name=name if isinstance(name, str) else None,
        redirect_matcher=redirect_matcher_for(ctx),
    )


async def resolve(ctx: AsContext, url: str) -> Refused | None:
    """Fetch and validate the document; on success the client is (re)stored under `url`."""
    if problem := url_problem(url):
        return Refused(problem)
    document = await fetch(url)
    if isinstance(document, Refused):
        return document
    client = describe_client(ctx, url, document)
    if isinstance(client, Refused):
        return client
    ctx.store.add_client(client)
    return None
