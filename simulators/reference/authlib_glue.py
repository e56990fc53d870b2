"""Thin Starlette glue for authlib's framework-neutral `AuthorizationServer`.

authlib is synchronous and untyped, so each HTTP request is first read completely into an
`HttpInput` snapshot (async), then handed to authlib (sync, on the event loop: it never blocks).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    JsonPayload,
    JsonRequest,
    OAuth2Payload,
    OAuth2Request,
)
from starlette.requests import Request
from starlette.responses import Response

from simulators.reference.as_context import AsContext
from simulators.reference.config import SCOPES
from simulators.reference.defects import Defect

MAX_BODY_BYTES: Final = 1 << 20
Pairs = tuple[tuple[str, str], ...]


#: parameters authlib may quote in an error description, which it refuses to build (ValueError)
#: when they contain '"', '\\' or non-printable characters: such requests are refused up front
_QUOTED_PARAMETERS: Final = frozenset(
    {
        "client_id",
        "redirect_uri",
        "response_type",
        "grant_type",
        "scope",
        "code_challenge_method",
        "token_type_hint",
        "resource",
    }
)


class BodyTooLarge(Exception):
    """The request body exceeds MAX_BODY_BYTES."""


class MalformedParameter(Exception):
    """An OAuth parameter holds characters no legitimate value has."""


def _check_parameters(pairs: Pairs) -> None:
    for name, value in pairs:
        if name in _QUOTED_PARAMETERS and any(
            c in '"\\' or not 0x20 <= ord(c) <= 0x7E for c in value
        ):
            raise MalformedParameter(name)


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpInput:
    """A fully read HTTP request, in the shape authlib needs."""

    method: str
    url: str
    headers: Mapping[str, str]
    query: Pairs
    form: Pairs
    json_body: dict[str, object] | None = None


async def read_http_input(request: Request, origin: str) -> HttpInput:
    """Snapshot `request`; the URL is rebuilt on our own origin so a forged Host can't matter."""
    body = b""
    if request.method not in {"GET", "HEAD"}:
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                raise BodyTooLarge
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    text = body.decode("utf-8", "replace")
    form: Pairs = ()
    json_body: dict[str, object] | None = None
    if content_type == "application/x-www-form-urlencoded":
        form = tuple(parse_qsl(text, keep_blank_values=True))
    elif content_type == "application/json" or content_type.endswith("+json"):
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            parsed = None
        json_body = parsed if isinstance(parsed, dict) else None
    query = tuple(request.query_params.multi_items())
    _check_parameters(query)
    _check_parameters(form)
    url = origin + request.url.path + (f"?{urlencode(query)}" if query else "")
    return HttpInput(
        method=request.method,
        url=url,
        headers=request.headers,
        query=query,
        form=form,
        json_body=json_body,
    )


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._data: dict[str, str] = {}
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in pairs:
            self._data.setdefault(key, value)
            self._datalist[key].append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class _OAuth2Request(OAuth2Request):  # type: ignore[misc]
    def __init__(self, http: HttpInput) -> None:
        super().__init__(method=http.method, uri=http.url, headers=http.headers)
        # parameters come from the query for GET, from the body otherwise (never mixed)
        self.payload = _Payload(http.query if http.method in {"GET", "HEAD"} else http.form)
        self._args = dict(reversed(http.query))
        self._form = dict(reversed(http.form))

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _JsonPayload(JsonPayload):  # type: ignore[misc]
    def __init__(self, data: dict[str, object] | None) -> None:
        self._data = data

    @property
    def data(self) -> dict[str, object] | None:
        return self._data


class _JsonRequest(JsonRequest):  # type: ignore[misc]
    def __init__(self, http: HttpInput) -> None:
        super().__init__(http.method, http.url, http.headers)
        self.payload = _JsonPayload(http.json_body)


class ReferenceAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """authlib's server bound to one reference server's store, with Starlette responses."""

    def __init__(self, ctx: AsContext) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.ctx = ctx

    def query_client(self, client_id: str) -> Any:
        return self.ctx.store.get_client(client_id)

    def save_token(self, token: dict[str, object], request: object) -> None:
        """Nothing to do: `TokenIssuer` records every token as it mints it."""

    def send_signal(self, name: str, *args: object, **kwargs: object) -> None:
        """authlib's optional signal hooks; the reference target needs none."""

    def create_oauth2_request(self, request: HttpInput | OAuth2Request) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        return _OAuth2Request(request)

    def create_json_request(self, request: HttpInput) -> JsonRequest:
        return _JsonRequest(request)

    def handle_response(
        self, status: int, body: object, headers: Sequence[tuple[str, str]]
    ) -> Response:
        header_map = dict(headers)
        location = header_map.pop("Location", None)
        if location is not None:
            return self._authorization_redirect(location, header_map)
        content = json.dumps(body) if isinstance(body, dict) else str(body or "")
        return Response(content, status_code=status, headers=header_map)

    def _authorization_redirect(self, location: str, headers: dict[str, str]) -> Response:
        """Every redirect the AS sends is an authorization response: add RFC 9207 `iss`."""
        parts = urlsplit(location)
        params = parse_qsl(parts.query, keep_blank_values=True)
        if self.ctx.config.has(Defect.STATE_DROPPED):
            params = [(k, v) for k, v in params if k != "state"]
        if not self.ctx.config.has(Defect.AUTHZ_ISS_MISSING):
            params.append(("iss", self.ctx.urls.issuer))
        headers["Location"] = parts._replace(query=urlencode(params)).geturl()
        headers["Cache-Control"] = "no-store"
        status = 307 if self.ctx.config.has(Defect.AUTHZ_307) else 302
        return Response(status_code=status, headers=headers)
