"""Dynamic client registration (RFC 7591), revocation (RFC 7009), introspection (RFC 7662)."""

from __future__ import annotations

import secrets
from typing import Any, Final

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7591 import (
    ClientMetadataClaims,
    ClientRegistrationEndpoint,
    InvalidClientMetadataError,
    InvalidRedirectURIError,
)
from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from simulators.reference.as_context import AsContext
from simulators.reference.defects import Defect
from simulators.reference.grants import CLIENT_AUTH_METHODS
from simulators.reference.metadata import authorization_server_metadata
from simulators.reference.models import AccessTokenRecord, Client, RefreshTokenRecord
from simulators.reference.redirects import redirect_matches, registration_problem

AnyToken = AccessTokenRecord | RefreshTokenRecord
_STRING_CLAIMS: Final = frozenset(
    {
        "token_endpoint_auth_method",
        "client_name",
        "client_uri",
        "logo_uri",
        "scope",
        "tos_uri",
        "policy_uri",
        "jwks_uri",
        "software_id",
        "software_version",
    }
)
_LIST_CLAIMS: Final = frozenset({"grant_types", "response_types", "contacts"})


def _claim_type_problem(data: dict[str, Any]) -> str | None:
    """authlib's claim checks assume JSON types; check them first so odd input gets a 400."""
    for name, value in data.items():
        if name in _STRING_CLAIMS and not isinstance(value, str):
            return f"{name} must be a string."
        if name in _LIST_CLAIMS and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            return f"{name} must be a list of strings."
        if name == "jwks" and not isinstance(value, dict):
            return "jwks must be an object."
    return None


def redirect_matcher_for(ctx: AsContext) -> Any:
    """The redirect URI comparison every client of this server uses."""
    any_port = not ctx.config.has(Defect.EXACT_LOOPBACK_PORT)
    prefix = ctx.config.has(Defect.REDIRECT_PREFIX_MATCH)

    def matches(registered: Any, requested: str) -> bool:
        return redirect_matches(registered, requested, any_loopback_port=any_port, prefix=prefix)

    return matches


def _ctx(endpoint: Any) -> AsContext:
    ctx: AsContext = endpoint.server.ctx
    return ctx


def _find_token(ctx: AsContext, token: str, hint: str | None) -> AnyToken | None:
    access = ctx.store.find_access_token(token)
    refresh = ctx.store.find_refresh_token(token)
    if hint == "refresh_token":
        return refresh or access
    return access or refresh


def _sent_method(request: Any) -> bool:
    """Whether the registration request named a token_endpoint_auth_method."""
    data = request.payload.data
    return isinstance(data, dict) and "token_endpoint_auth_method" in data


class _ClientClaims(ClientMetadataClaims):  # type: ignore[misc]
    def validate_redirect_uris(self) -> None:
        """Checked before the claims, with our own rules (authlib refuses private-use schemes)."""


class Registration(ClientRegistrationEndpoint):  # type: ignore[misc]
    """Open registration, as MCP clients expect; redirect URIs are validated strictly."""

    def __init__(self, server: Any) -> None:
        super().__init__(server, claims_classes=[_ClientClaims])

    def authenticate_token(self, request: Any) -> bool:
        return True

    def get_server_metadata(self) -> dict[str, object]:
        # what the AS really supports, whatever a metadata defect advertises
        ctx = _ctx(self)
        cimd = ctx.config.client_id_metadata_documents
        return authorization_server_metadata(ctx.urls, frozenset(), cimd=cimd)

    def extract_client_metadata(self, request: Any) -> dict[str, object]:
        data = request.payload.data
        if not isinstance(data, dict):
            raise InvalidRequestError("The registration request must be a JSON object.")
        if problem := _claim_type_problem(data):
            raise InvalidClientMetadataError(problem)
        uris = data.get("redirect_uris")
        if not isinstance(uris, list) or not uris:
            raise InvalidRedirectURIError("redirect_uris must be a non-empty list.")
        if not _ctx(self).config.has(Defect.DCR_JAVASCRIPT_REDIRECT_ACCEPTED):
            for uri in uris:
                if problem := registration_problem(uri):
                    raise InvalidRedirectURIError(problem[0].upper() + problem[1:] + ".")
        if _ctx(self).config.has(Defect.DCR_LOOPBACK_REFUSED) and any(
            isinstance(uri, str) and uri.lower().startswith("http://") for uri in uris
        ):
            raise InvalidRedirectURIError("Redirect URIs must use https.")
        metadata: dict[str, object] = super().extract_client_metadata(request)
        if self._chosen_method_unnamed(request):
            metadata["token_endpoint_auth_method"] = "client_secret_post"
        return metadata

    def _chosen_method_unnamed(self, request: Any) -> bool:
        """`dcr-default-auth-method-not-echoed` and a request without a method: the server picks
        client_secret_post and, like the TypeScript SDK demo AS, echoes only what was sent."""
        defect = _ctx(self).config.has(Defect.DCR_DEFAULT_AUTH_METHOD_NOT_ECHOED)
        return defect and not _sent_method(request)

    def create_registration_response(self, request: Any) -> tuple[int, object, object]:
        status, body, headers = super().create_registration_response(request)
        unnamed = _ctx(self).config.has(Defect.DCR_AUTH_METHOD_NOT_ECHOED)
        if (unnamed or self._chosen_method_unnamed(request)) and isinstance(body, dict):
            body.pop("token_endpoint_auth_method", None)
        return status, body, headers

    def generate_client_info(self, request: Any) -> dict[str, object]:
        info: dict[str, object] = super().generate_client_info(request)
        method = request.payload.data.get("token_endpoint_auth_method", "client_secret_basic")
        if method == "none":
            info.pop("client_secret", None)
            info.pop("client_secret_expires_at", None)
        return info

    def generate_client_secret(self, request: Any) -> str:
        return secrets.token_urlsafe(32)

    def save_client(
        self, client_info: dict[str, Any], client_metadata: dict[str, Any], request: Any
    ) -> Client:
        ctx = _ctx(self)
        client = Client(
            client_id=client_info["client_id"],
            client_secret=client_info.get("client_secret"),
            redirect_uris=tuple(client_metadata["redirect_uris"]),
            token_endpoint_auth_method=client_metadata["token_endpoint_auth_method"],
            grant_types=tuple(client_metadata.get("grant_types") or ("authorization_code",)),
            response_types=tuple(client_metadata.get("response_types") or ("code",)),
            scope=client_metadata.get("scope") or None,
            client_name=client_metadata.get("client_name"),
            redirect_matcher=redirect_matcher_for(ctx),
        )
        ctx.store.add_client(client)
        return client


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> AnyToken | None:
        return _find_token(_ctx(self), token_string, token_type_hint)

    def revoke_token(self, token: AnyToken, request: Any) -> None:
        store = _ctx(self).store
        if isinstance(token, AccessTokenRecord):
            store.revoke_access_token(token)
        else:
            # RFC 7009 §2.1: revoking a refresh token also ends the grant's access tokens
            store.revoke_family(token.family_id)


class Introspection(IntrospectionEndpoint):  # type: ignore[misc]
    """Only the resource server's own client may introspect (RFC 7662 §4)."""

    CLIENT_AUTH_METHODS = ("client_secret_basic", "client_secret_post")

    def query_token(self, token_string: str, token_type_hint: str | None) -> AnyToken | None:
        return _find_token(_ctx(self), token_string, token_type_hint)

    def check_permission(self, token: AnyToken, client: Client, request: Any) -> bool:
        return client.client_id == _ctx(self).introspection_client_id

    def introspect_token(self, token: AnyToken) -> dict[str, object]:
        ctx = _ctx(self)
        payload: dict[str, object] = {
            "active": True,
            "client_id": token.client_id,
            "scope": token.scope,
            "sub": token.subject,
            "aud": list(token.audience),
            "iss": ctx.urls.issuer,
            "exp": token.expires_at,
            "iat": token.issued_at,
        }
        if isinstance(token, AccessTokenRecord):
            # the resource server accepts only access tokens, recognised by token_type
            payload["token_type"] = "Bearer"
            payload["jti"] = token.jti
        return payload
