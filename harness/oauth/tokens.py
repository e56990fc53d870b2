"""The token endpoint: redeeming a code, refreshing, revoking (RFC 6749, RFC 7009, RFC 8707).

Refusals are data (`TokenResponse.error`); the response is the evidence checks judge.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from harness.http import HttpClient, Response
from harness.oauth.clientauth import client_auth
from harness.oauth.errors import FlowError
from harness.oauth.registration import ClientCredentials

# The token endpoint's registered error codes: RFC 6749 §5.2, RFC 8707 §2 (invalid_target),
# RFC 9449 §12.2 (DPoP); anything else is an unregistered code.
TOKEN_ERROR_CODES = frozenset(
    {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
        "invalid_target",
        "invalid_dpop_proof",
        "use_dpop_nonce",
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenSet:
    access_token: str = field(repr=False)
    token_type: str | None
    expires_in: int | None
    refresh_token: str | None = field(repr=False)
    scope: str | None
    id_token: str | None = field(repr=False)
    obtained_at: float  # time.monotonic() when the response arrived
    raw: Mapping[str, object] = field(repr=False)

    @property
    def expires_at(self) -> float | None:
        """Monotonic time of expiry, or None when the server gave no `expires_in`."""
        return None if self.expires_in is None else self.obtained_at + self.expires_in

    @property
    def scopes(self) -> tuple[str, ...] | None:
        return None if self.scope is None else tuple(self.scope.split())

    @property
    def authorization(self) -> str:
        """The `Authorization` header value for the MCP server."""
        return f"Bearer {self.access_token}"


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenResponse:
    response: Response
    tokens: TokenSet | None
    error: str | None  # the `error` code, or what was wrong with a success response
    error_description: str | None = None

    def require_tokens(self, step: str = "token") -> TokenSet:
        if self.tokens is None:
            raise FlowError(step, f"no tokens: {self.error}", (self.response.exchange,))
        return self.tokens


@dataclass(frozen=True, slots=True, kw_only=True)
class Revocation:
    response: Response
    ok: bool  # RFC 7009 §2.2: 200 whether or not the token was valid
    error: str | None


async def redeem_code(
    http: HttpClient,
    token_endpoint: str,
    *,
    client: ClientCredentials,
    code: str,
    redirect_uri: str | None,
    code_verifier: str | None,
    resource: str | None,
    extra: Mapping[str, str] | None = None,
    headers: Sequence[tuple[str, str]] = (),
) -> TokenResponse:
    """The authorization_code grant. None omits `redirect_uri`, `code_verifier` or `resource`."""
    http.vault.add(code)
    http.vault.add(code_verifier)
    form = {"grant_type": "authorization_code", "code": code}
    _put(form, "redirect_uri", redirect_uri)
    _put(form, "code_verifier", code_verifier)
    _put(form, "resource", resource)
    return await _token_request(http, token_endpoint, client, form, extra, headers)


async def refresh(
    http: HttpClient,
    token_endpoint: str,
    *,
    client: ClientCredentials,
    refresh_token: str,
    resource: str | None = None,
    scope: str | None = None,
    extra: Mapping[str, str] | None = None,
    headers: Sequence[tuple[str, str]] = (),
) -> TokenResponse:
    """The refresh_token grant."""
    http.vault.add(refresh_token)
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    _put(form, "resource", resource)
    _put(form, "scope", scope)
    return await _token_request(http, token_endpoint, client, form, extra, headers)


async def revoke(
    http: HttpClient,
    endpoint: str,
    *,
    client: ClientCredentials,
    token: str,
    token_type_hint: str | None = None,
) -> Revocation:
    """RFC 7009 revocation, authenticated like a token request."""
    http.vault.add(token)
    http.vault.add(client.client_secret)
    auth = client_auth(client)
    form = {"token": token}
    _put(form, "token_type_hint", token_type_hint)
    form.update(auth.form)
    response = await http.request("POST", endpoint, form=form, headers=auth.headers)
    ok = response.status == 200
    error = None if ok else (response.json_str("error") or f"HTTP {response.status}")
    return Revocation(response=response, ok=ok, error=error)


def parse_token_response(response: Response) -> TokenResponse:
    """A token endpoint response as tokens, or the error it carries."""
    document = response.json_object()
    error = _str(document, "error")
    access_token = _str(document, "access_token")
    if response.status != 200 or document is None or access_token is None:
        reason = error or (
            f"HTTP {response.status}"
            if response.status != 200
            else f"HTTP 200 without an access_token ({response.content_type or 'no content-type'})"
        )
        return TokenResponse(
            response=response,
            tokens=None,
            error=reason,
            error_description=_str(document, "error_description"),
        )
    tokens = TokenSet(
        access_token=access_token,
        token_type=_str(document, "token_type"),
        expires_in=_int(document.get("expires_in")),
        refresh_token=_str(document, "refresh_token"),
        scope=_str(document, "scope"),
        id_token=_str(document, "id_token"),
        obtained_at=time.monotonic(),
        raw=document,
    )
    return TokenResponse(response=response, tokens=tokens, error=None)


async def _token_request(
    http: HttpClient,
    endpoint: str,
    client: ClientCredentials,
    form: dict[str, str],
    extra: Mapping[str, str] | None,
    headers: Sequence[tuple[str, str]],
) -> TokenResponse:
    http.vault.add(client.client_secret)
    auth = client_auth(client)
    form.update(auth.form)
    form.update(extra or {})
    request_headers = [("accept", "application/json"), *auth.headers, *headers]
    response = await http.request("POST", endpoint, form=form, headers=request_headers)
    document = response.json_object()
    if document is not None:
        http.vault.add_fields(document)  # even when the content type does not say JSON
    return parse_token_response(response)


def _put(form: dict[str, str], key: str, value: str | None) -> None:
    if value is not None:
        form[key] = value


def _str(document: Mapping[str, object] | None, key: str) -> str | None:
    value = document.get(key) if document is not None else None
    return value if isinstance(value, str) else None


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
