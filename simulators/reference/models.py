"""Records the authorization server keeps: clients, codes, tokens, sessions.

authlib is duck-typed: these classes provide the methods its grants and endpoints call
(`ClientMixin`, `AuthorizationCodeMixin`, `TokenMixin`) without inheriting its untyped bases.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from simulators.reference.config import READ_SCOPE, SCOPES


def token_digest(token: str) -> str:
    """Key for storing a code or token, so stored state never holds the bearer value itself."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


RedirectMatcher = Callable[[Sequence[str], str], bool]
AuthMethod = Literal["none", "client_secret_basic", "client_secret_post"]
#: `token_endpoint_auth_method` of a public client
PUBLIC_CLIENT: Final[AuthMethod] = "none"


@dataclass(frozen=True, slots=True)
class User:
    username: str

    def get_user_id(self) -> str:
        return self.username


@dataclass(slots=True, kw_only=True)
class Client:
    client_id: str
    client_secret: str | None
    redirect_uris: tuple[str, ...]
    token_endpoint_auth_method: str
    grant_types: tuple[str, ...] = ("authorization_code",)
    response_types: tuple[str, ...] = ("code",)
    scope: str | None = None
    client_name: str | None = None
    redirect_matcher: RedirectMatcher
    #: the resource server's own introspection client: it can introspect, never authorize
    internal: bool = False

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if len(self.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = self.scope.split() if self.scope else list(SCOPES)
        if not scope:
            return READ_SCOPE if READ_SCOPE in allowed else " ".join(allowed)
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return not self.internal and self.redirect_matcher(self.redirect_uris, redirect_uri)

    def check_client_secret(self, client_secret: str) -> bool:
        if self.client_secret is None:
            return False
        return secrets.compare_digest(self.client_secret, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        # a client authenticates the way it registered, at every endpoint
        return method == self.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        return not self.internal and response_type in self.response_types

    def check_grant_type(self, grant_type: str) -> bool:
        return not self.internal and grant_type in self.grant_types

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == "none"


@dataclass(slots=True, kw_only=True)
class AuthorizationCode:
    client_id: str
    subject: str
    #: redirect_uri as sent in the authorization request (None if it was omitted)
    redirect_uri: str | None
    scope: str
    code_challenge: str | None
    code_challenge_method: str | None
    resources: tuple[str, ...]
    family_id: str
    expires_at: float
    used: bool = False

    def get_redirect_uri(self) -> str | None:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def is_expired(self) -> bool:
        return time.time() >= self.expires_at


@dataclass(slots=True, kw_only=True)
class _IssuedToken:
    client_id: str
    subject: str
    scope: str
    audience: tuple[str, ...]
    family_id: str
    issued_at: int
    expires_at: int
    revoked: bool = False

    def check_client(self, client: Client) -> bool:
        return self.client_id == client.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_at - self.issued_at

    def is_expired(self) -> bool:
        return time.time() >= self.expires_at

    def is_revoked(self) -> bool:
        return self.revoked


@dataclass(slots=True, kw_only=True)
class AccessTokenRecord(_IssuedToken):
    jti: str


@dataclass(slots=True, kw_only=True)
class RefreshTokenRecord(_IssuedToken):
    #: replaced by a newer refresh token; presenting it again is a reuse
    rotated: bool = False
    rotated_at: float | None = None


@dataclass(slots=True, kw_only=True)
class McpSession:
    session_id: str
    subject: str
    client_id: str | None
    scopes: frozenset[str]
    resource: str
    protocol_version: str
    created_at: float = field(default_factory=time.time)


@dataclass(slots=True, kw_only=True)
class LoginTransaction:
    """A pending form login: the authorization request waiting for credentials and consent."""

    txn_id: str
    browser_id: str
    csrf_token: str
    params: tuple[tuple[str, str], ...]
    expires_at: float
    username: str | None = None
