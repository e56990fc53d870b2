"""The authorization-code and refresh-token grants, PKCE and RFC 8707 resource indicators.

Each class fills in the storage hooks authlib leaves abstract; the defects are applied here,
where the real bug would live.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from typing import Any, Final

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, OAuth2Error
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc7636 import CodeChallenge

from simulators.reference.as_context import AsContext
from simulators.reference.contention import read_as_live
from simulators.reference.defects import Defect
from simulators.reference.models import (
    AuthorizationCode,
    Client,
    RefreshTokenRecord,
    User,
)

CODE_TTL: Final = 600
#: how long a rotated-out refresh token keeps working with `refresh-reuse-grace`
REUSE_GRACE_S: Final = 1.0
CLIENT_AUTH_METHODS: Final = ("client_secret_basic", "client_secret_post", "none")


class InvalidTargetError(OAuth2Error):  # type: ignore[misc]
    """RFC 8707 §2: the requested resource is unknown, or was not granted."""

    error = "invalid_target"


def _ctx(grant: Any) -> AsContext:
    ctx: AsContext = grant.server.ctx
    return ctx


def requested_resources(ctx: AsContext, values: Sequence[str]) -> tuple[str, ...]:
    """Canonical URLs of the requested `resource` values; refuse any we don't serve."""
    result: list[str] = []
    for value in values:
        known = ctx.known_resource(value)
        if known is None and ctx.config.has(Defect.RESOURCE_UNKNOWN_ACCEPTED):
            known = value  # the bug: any resource named becomes the audience
        if known is None:
            raise InvalidTargetError("The requested resource is not served by this AS.")
        if known not in result:
            result.append(known)
    return tuple(result)


def resolve_audience(
    ctx: AsContext, requested: Sequence[str], granted: tuple[str, ...]
) -> tuple[str, ...]:
    """The `aud` of a new access token: the requested resources, limited to what was granted."""
    if ctx.config.has(Defect.RESOURCE_IGNORED):
        return (ctx.urls.main.url,)
    if not requested:
        if ctx.config.has(Defect.MISSING_RESOURCE_REJECTED):
            raise InvalidTargetError("The 'resource' parameter is required.")
        return granted or (ctx.urls.main.url,)
    audience = requested_resources(ctx, requested)
    if granted and not set(audience) <= set(granted):
        raise InvalidTargetError("The requested resource was not granted.")
    return audience


class ResourceIndicator:
    """Grant extension: validate `resource` in the authorization request (RFC 8707 §2)."""

    def __call__(self, grant: Any) -> None:
        grant.register_hook("after_validate_authorization_request_payload", self.validate)

    def validate(self, grant: Any, _result: object) -> None:
        ctx = _ctx(grant)
        if ctx.config.has(Defect.RESOURCE_IGNORED):
            return
        values = grant.request.payload.datalist.get("resource", [])
        if not values and ctx.config.has(Defect.MISSING_RESOURCE_REJECTED):
            raise InvalidTargetError("The 'resource' parameter is required.")
        requested_resources(ctx, values)


class Pkce(CodeChallenge):  # type: ignore[misc]
    """PKCE as OAuth 2.1 wants it: required, S256 only, verifier checked."""

    def __init__(self, ctx: AsContext) -> None:
        self._downgrade = ctx.config.has(Defect.PKCE_DOWNGRADE)
        self._optional = ctx.config.has(Defect.PKCE_OPTIONAL) or self._downgrade
        self._plain = ctx.config.has(Defect.PKCE_PLAIN_ACCEPTED)
        self._skip_verifier = ctx.config.has(Defect.PKCE_VERIFIER_NOT_CHECKED)
        super().__init__(required=not self._optional)
        self.SUPPORTED_CODE_CHALLENGE_METHOD = ["S256", "plain"] if self._plain else ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: object) -> None:
        data = grant.request.payload.data
        challenge, method = data.get("code_challenge"), data.get("code_challenge_method")
        if not challenge and self._optional:
            return
        if not challenge:
            raise InvalidRequestError("PKCE is required: send code_challenge.")
        if not method and not self._plain:
            raise InvalidRequestError("code_challenge_method must be S256.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: object) -> None:
        record: AuthorizationCode = grant.request.authorization_code
        if self._downgrade and not record.code_challenge:
            return  # the bug: a verifier for a code issued without a challenge is ignored
        if not self._skip_verifier:
            super().validate_code_verifier(grant, result)


class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def save_authorization_code(self, code: str, request: Any) -> None:
        ctx = _ctx(self)
        data = request.payload.data
        resources: tuple[str, ...] = ()
        if not ctx.config.has(Defect.RESOURCE_IGNORED):
            resources = requested_resources(ctx, request.payload.datalist.get("resource", []))
        forget_redirect = ctx.config.has(Defect.REDIRECT_URI_NOT_CHECKED_AT_TOKEN)
        ctx.store.add_code(
            code,
            AuthorizationCode(
                client_id=request.client.client_id,
                subject=request.user.username,
                redirect_uri=None if forget_redirect else request.payload.redirect_uri,
                scope=request.scope,
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
                resources=resources,
                family_id=secrets.token_urlsafe(12),
                expires_at=time.time() + CODE_TTL,
            ),
        )

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        ctx = _ctx(self)
        record = ctx.store.find_code(code)
        if record is None or record.is_expired():
            return None
        if record.used and not ctx.config.has(Defect.CODE_REUSABLE):
            # RFC 6749 §4.1.2: a replayed code revokes what it already produced
            ctx.store.revoke_family(record.family_id)
            return None
        bound = ctx.config.has(Defect.CODE_NOT_BOUND_TO_CLIENT)
        if record.client_id != client.client_id and not bound:
            return None
        return record

    def delete_authorization_code(self, record: AuthorizationCode) -> None:
        if not _ctx(self).config.has(Defect.CODE_REUSABLE):
            record.used = True

    def authenticate_user(self, record: AuthorizationCode) -> User:
        return User(record.subject)

    def generate_token(
        self,
        user: User | None = None,
        scope: str | None = None,
        grant_type: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, object]:
        ctx = _ctx(self)
        record: AuthorizationCode = self.request.authorization_code
        requested = self.request.payload.datalist.get("resource", [])
        audience = resolve_audience(ctx, requested, record.resources)
        return ctx.tokens.issue(
            client=self.request.client,
            subject=record.subject,
            scope=scope or "",
            audience=audience,
            granted_resources=record.resources or audience,
            family_id=record.family_id,
            include_refresh=include_refresh_token,
        )


class RefreshGrant(RefreshTokenGrant):  # type: ignore[misc]
    """Refresh with rotation for public clients (OAuth 2.1 §4.3.1) and reuse detection."""

    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def _rotates(self, client: Client) -> bool:
        return client.is_public and not _ctx(self).config.has(Defect.REFRESH_NOT_ROTATED)

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshTokenRecord | None:
        ctx = _ctx(self)
        record = ctx.store.find_refresh_token(refresh_token)
        if record is None or record.revoked or record.is_expired():
            return None
        stale = read_as_live(refresh_token)  # only with refresh-race
        if record.rotated and not stale and not self._reuse_tolerated(record):
            ctx.store.revoke_family(record.family_id)
            return None
        return record

    def _reuse_tolerated(self, record: RefreshTokenRecord) -> bool:
        config = _ctx(self).config
        if config.has(Defect.REFRESH_REUSE_ACCEPTED):
            return True
        rotated_at = record.rotated_at or 0.0
        return config.has(Defect.REFRESH_REUSE_GRACE) and time.time() - rotated_at < REUSE_GRACE_S

    def _validate_request_token(self, client: Client) -> RefreshTokenRecord:
        if not _ctx(self).config.has(Defect.REFRESH_NOT_BOUND_TO_CLIENT):
            record: RefreshTokenRecord = super()._validate_request_token(client)
            return record
        # the bug: authlib's check that the token belongs to the requesting client is skipped
        presented = self.request.form.get("refresh_token")
        found = self.authenticate_refresh_token(presented) if presented else None
        if found is None:
            raise InvalidGrantError()
        return found

    def authenticate_user(self, record: RefreshTokenRecord) -> User:
        return User(record.subject)

    def revoke_old_credential(self, record: RefreshTokenRecord) -> None:
        if self._rotates(self.request.client) and not record.rotated:
            record.rotated = True
            record.rotated_at = time.time()

    def generate_token(
        self,
        user: User | None = None,
        scope: str | None = None,
        grant_type: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, object]:
        ctx = _ctx(self)
        record: RefreshTokenRecord = self.request.refresh_token
        client: Client = self.request.client
        requested = self.request.payload.datalist.get("resource", [])
        audience = resolve_audience(ctx, requested, record.audience)
        if ctx.config.has(Defect.REFRESH_LOSES_AUDIENCE):
            audience = (ctx.urls.issuer,)
        return ctx.tokens.issue(
            client=client,
            subject=record.subject,
            scope=scope or record.scope,
            audience=audience,
            granted_resources=record.audience,
            family_id=record.family_id,
            include_refresh=self._rotates(client),
        )
