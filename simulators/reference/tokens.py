"""Minting access and refresh tokens, and recording them so they can be revoked and introspected.

authlib's RFC 9068 generator is not used because it cannot set `aud` from the RFC 8707 `resource`
parameter (its own code leaves that as a TODO); the claims minted here follow RFC 9068 §2.2.
"""

from __future__ import annotations

import secrets
import time

from simulators.reference.config import ReferenceConfig
from simulators.reference.defects import Defect
from simulators.reference.keys import SigningKey
from simulators.reference.models import AccessTokenRecord, Client, RefreshTokenRecord
from simulators.reference.store import OAuthStore


class TokenIssuer:
    def __init__(
        self, *, config: ReferenceConfig, issuer: str, key: SigningKey, store: OAuthStore
    ) -> None:
        self._config = config
        self._issuer = issuer
        self._key = key
        self._store = store

    def issue(
        self,
        *,
        client: Client,
        subject: str,
        scope: str,
        audience: tuple[str, ...],
        granted_resources: tuple[str, ...],
        family_id: str,
        include_refresh: bool,
    ) -> dict[str, object]:
        """Mint one access token (and maybe a refresh token); return the token response body."""
        now = int(time.time())
        ttl = self._config.access_token_ttl
        jti = secrets.token_urlsafe(16)
        if self._config.token_format == "jwt":
            claims: dict[str, object] = {
                "iss": self._issuer,
                "sub": subject,
                "aud": audience[0] if len(audience) == 1 else list(audience),
                "exp": now + ttl,
                "iat": now,
                "jti": jti,
                "scope": scope,
                "client_id": client.client_id,
            }
            access_token = self._key.sign(claims)
        else:
            access_token = secrets.token_urlsafe(32)
        self._store.add_access_token(
            access_token,
            AccessTokenRecord(
                jti=jti,
                client_id=client.client_id,
                subject=subject,
                scope=scope,
                audience=audience,
                family_id=family_id,
                issued_at=now,
                expires_at=now + ttl,
            ),
        )
        body: dict[str, object] = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": ttl,
            "scope": scope,
        }
        if include_refresh and not self._config.has(Defect.NO_REFRESH_TOKEN):
            refresh_token = secrets.token_urlsafe(32)
            self._store.add_refresh_token(
                refresh_token,
                RefreshTokenRecord(
                    client_id=client.client_id,
                    subject=subject,
                    scope=scope,
                    audience=granted_resources,
                    family_id=family_id,
                    issued_at=now,
                    expires_at=now + self._config.refresh_token_ttl,
                ),
            )
            body["refresh_token"] = refresh_token
        return body
