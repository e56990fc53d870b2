"""Client credentials, and Dynamic Client Registration (RFC 7591).

A refused registration is data (the response is evidence for the `reg.*` checks), not an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from harness.http import HttpClient, Response


class AuthMethod(StrEnum):
    """The `token_endpoint_auth_method` values the harness can use (servers may name others)."""

    NONE = "none"
    CLIENT_SECRET_BASIC = "client_secret_basic"  # noqa: S105 - a method name, not a secret
    CLIENT_SECRET_POST = "client_secret_post"  # noqa: S105 - a method name, not a secret


DEFAULT_AUTH_METHOD = AuthMethod.CLIENT_SECRET_BASIC  # RFC 7591 §2, when the server names none


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientCredentials:
    """A registered client: dynamic, CIMD (`client_id` is a URL) or pre-registered."""

    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    redirect_uris: tuple[str, ...] = ()
    token_endpoint_auth_method: str = AuthMethod.NONE


@dataclass(frozen=True, slots=True, kw_only=True)
class Registration:
    response: Response
    credentials: ClientCredentials | None
    error: str | None  # the `error` code, or what was wrong with a success response
    error_description: str | None = None
    document: Mapping[str, object] | None = field(default=None, repr=False)


def registration_body(
    *,
    client_name: str,
    redirect_uris: Sequence[str],
    grant_types: Sequence[str] = ("authorization_code", "refresh_token"),
    response_types: Sequence[str] = ("code",),
    token_endpoint_auth_method: str = AuthMethod.NONE,
    application_type: str | None = None,
    scope: str | None = None,
    extra: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """A typical RFC 7591 registration request, as MCP clients send it."""
    body: dict[str, object] = {
        "client_name": client_name,
        "redirect_uris": list(redirect_uris),
        "grant_types": list(grant_types),
        "response_types": list(response_types),
        "token_endpoint_auth_method": token_endpoint_auth_method,
    }
    if application_type is not None:
        body["application_type"] = application_type
    if scope is not None:
        body["scope"] = scope
    body.update(extra or {})
    return body


async def register(
    http: HttpClient,
    endpoint: str,
    body: Mapping[str, object],
    *,
    headers: Sequence[tuple[str, str]] = (),
) -> Registration:
    """POST `body` as JSON to the registration endpoint."""
    response = await http.request(
        "POST", endpoint, json_body=dict(body), headers=[("accept", "application/json"), *headers]
    )
    document = response.json_object()
    if document is not None:
        http.vault.add_fields(document)  # even when the content type does not say JSON
    if response.status not in {200, 201}:
        return Registration(
            response=response,
            credentials=None,
            error=_str(document, "error") or f"HTTP {response.status}",
            error_description=_str(document, "error_description"),
            document=document,
        )
    client_id = _str(document, "client_id")
    if document is None or not client_id:
        return Registration(
            response=response,
            credentials=None,
            error=f"HTTP {response.status} without a client_id",
            document=document,
        )
    return Registration(
        response=response,
        credentials=_credentials(document, client_id, body),
        error=None,
        document=document,
    )


def _credentials(
    document: Mapping[str, object], client_id: str, body: Mapping[str, object]
) -> ClientCredentials:
    secret = _str(document, "client_secret")
    redirect_uris = document.get("redirect_uris", body.get("redirect_uris"))
    method = (
        _str(document, "token_endpoint_auth_method")
        or _str(body, "token_endpoint_auth_method")
        or DEFAULT_AUTH_METHOD
    )
    return ClientCredentials(
        client_id=client_id,
        client_secret=secret,
        redirect_uris=tuple(u for u in redirect_uris if isinstance(u, str))
        if isinstance(redirect_uris, list)
        else (),
        token_endpoint_auth_method=method,
    )


def _str(document: Mapping[str, object] | None, key: str) -> str | None:
    value = document.get(key) if document is not None else None
    return value if isinstance(value, str) else None
