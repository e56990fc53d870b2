"""A proxied flow as the evidence record the checks judge: the client's view, redacted.

The request is what the client sent (captured before any fault or rewrite touched it), the
response what the client received. Secrets of both sides are registered in the run's vault
before either side is redacted, so a token minted in the response is fingerprinted wherever the
request carried it too. The redaction is the HTTP layer's own (harness.http), not a copy.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import httpx

from harness.exchange import Exchange, RecordedRequest, RecordedResponse
from harness.http import (
    EXCERPT_CHARS,
    _excerpt,
    _redact_headers,
    _register_header_secrets,
    _register_response_secrets,
)
from harness.oauth.wellknown import OAUTH_WELL_KNOWN, OIDC_WELL_KNOWN, PRM_WELL_KNOWN
from harness.redact import SecretVault, fingerprint_fields

RawHeaders = Sequence[tuple[bytes, bytes]]
METADATA_PATHS = (PRM_WELL_KNOWN, OAUTH_WELL_KNOWN, OIDC_WELL_KNOWN)
MAX_DOCUMENT_BYTES = 64 * 1024  # past this a "metadata document" is kept as an excerpt
KEPT_PREFIX_BYTES = EXCERPT_CHARS * 4  # what _excerpt reads of a body


@dataclass(frozen=True, slots=True, kw_only=True)
class RawMessage:
    """The bytes of one side of a flow, copied out of mitmproxy."""

    headers: RawHeaders
    body: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class RawExchange:
    method: str
    url: str  # as the client addressed it
    request: RawMessage
    status: int | None
    response: RawMessage | None
    error: str | None
    elapsed_s: float


def kept(vault: SecretVault, body: bytes, content_type: str | None) -> bytes:
    """The part of a body the recording reads, taken when the flow is captured so a long run
    does not hold every byte: whole up to MAX_DOCUMENT_BYTES (metadata documents, token
    requests and responses: the judges and the secret registration read them whole); past
    that, the secrets of a JSON or form body registered now and only the excerpt's prefix."""
    if len(body) <= MAX_DOCUMENT_BYTES:
        return body
    _register_body_secrets(vault, content_type, body)
    return body[:KEPT_PREFIX_BYTES]


def record(vault: SecretVault, raw: RawExchange) -> Exchange:
    """The redacted Exchange of one flow (registers its secrets in `vault` first)."""
    request_headers = httpx.Headers(list(raw.request.headers))
    response_headers = httpx.Headers(list(raw.response.headers)) if raw.response else None
    _register_header_secrets(vault, request_headers)
    _register_body_secrets(vault, request_headers.get("content-type"), raw.request.body)
    vault.add_fields(dict(parse_qsl(urlsplit(raw.url).query)))
    if raw.status is not None and raw.response is not None and response_headers is not None:
        # The HTTP layer's registration reads only the status and headers of its response.
        response = httpx.Response(raw.status, headers=response_headers)
        _register_response_secrets(vault, response, raw.response.body)
    recorded_response = None
    if raw.status is not None and raw.response is not None and response_headers is not None:
        recorded_response = RecordedResponse(
            status=raw.status,
            headers=_redact_headers(vault, response_headers),
            body_excerpt=_response_text(vault, raw, response_headers.get("content-type")),
        )
    return Exchange(
        request=RecordedRequest(
            method=raw.method,
            url=vault.redact_url(raw.url),
            headers=_redact_headers(vault, request_headers),
            body_excerpt=_excerpt(vault, raw.request.body, request_headers.get("content-type")),
        ),
        response=recorded_response,
        error=vault.redact(raw.error) if raw.error else None,
        elapsed_s=round(raw.elapsed_s, 4),
    )


def _response_text(vault: SecretVault, raw: RawExchange, content_type: str | None) -> str:
    """The response body as recorded: a well-known metadata document whole (public, and the
    judges read its members: cut at the excerpt size it would no longer parse), else the
    HTTP layer's excerpt."""
    body = raw.response.body if raw.response else b""
    path = urlsplit(raw.url).path
    if 0 < len(body) <= MAX_DOCUMENT_BYTES and any(p in path for p in METADATA_PATHS):
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            document = None
        if isinstance(document, dict):
            return vault.redact(json.dumps(fingerprint_fields(document)))
    return _excerpt(vault, body, content_type)


def _register_body_secrets(vault: SecretVault, content_type: str | None, body: bytes) -> None:
    kind = (content_type or "").lower()
    if not body:
        return
    if "x-www-form-urlencoded" in kind:
        vault.add_fields(dict(parse_qsl(body.decode("utf-8", "replace"))))
    elif "json" in kind:
        _register_json(vault, body)


def _register_json(vault: SecretVault, body: bytes) -> None:
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return
    if isinstance(parsed, dict):
        vault.add_fields(parsed)
