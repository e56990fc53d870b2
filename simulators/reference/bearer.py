"""Resource-server token handling: find the bearer token, then validate it for one resource.

Correct behaviour is OAuth 2.1 §5 with RFC 9068 JWTs or RFC 7662 introspection. Every failure is
a clean "invalid"; nothing a client sends can raise out of here.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from simulators.reference.config import ReferenceConfig
from simulators.reference.contention import blocking_jwks_refetch
from simulators.reference.defects import Defect
from simulators.reference.header_keys import header_key_claims
from simulators.reference.keys import ALGORITHM, InvalidSignature, SigningKey
from simulators.reference.models import token_digest
from simulators.reference.store import OAuthStore
from simulators.reference.urls import ResourceUrls

_TOKEN68: Final = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
MAX_TOKEN_LENGTH: Final = 16 * 1024
GARBAGE_LIMIT: Final = 8 * 1024
Introspector = Callable[[str], dict[str, object]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    subject: str
    scopes: frozenset[str]
    client_id: str | None


class Rejection(StrEnum):
    INVALID = "invalid"
    #: only with `garbage-token-500`: the request must crash
    CRASH = "crash"


def _b64_json(segment: str) -> dict[str, object] | None:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _audiences(claim: object) -> frozenset[str]:
    if isinstance(claim, str):
        return frozenset({claim})
    if isinstance(claim, list):
        return frozenset(a for a in claim if isinstance(a, str))
    return frozenset()


class BearerValidator:
    def __init__(
        self,
        *,
        config: ReferenceConfig,
        issuer: str,
        key: SigningKey,
        store: OAuthStore,
        introspect: Introspector,
    ) -> None:
        self._config = config
        self._issuer = issuer
        self._key = key
        self._store = store
        self._introspect = introspect
        # opaque tokens with revoked-/expired-accepted: introspection results cached forever
        self._cache_introspection = config.has(Defect.REVOKED_ACCEPTED) or config.has(
            Defect.EXPIRED_ACCEPTED
        )
        self._introspection_cache: dict[str, dict[str, object]] = {}

    def extract(self, headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
        """The presented token, or None when the request carries no bearer credentials."""
        header = headers.get("authorization")
        if header is None:
            if self._config.has(Defect.QUERY_TOKEN_ACCEPTED):
                return query.get("access_token")
            return None
        scheme, _, rest = header.strip(" \t").partition(" ")
        token = rest.strip(" \t")
        if self._config.has(Defect.ANY_SCHEME_ACCEPTED):
            return token if rest else scheme
        if self._config.has(Defect.SCHEME_CASE_SENSITIVE):
            is_bearer = scheme == "Bearer"
        else:
            is_bearer = scheme.lower() == "bearer"  # RFC 9110 §11.1: schemes are case-insensitive
        # another scheme means "no bearer credentials" (RFC 6750 §3.1: no error code then)
        return token if is_bearer else None

    def validate(self, token: str, resource: ResourceUrls) -> Principal | Rejection:
        if self._config.has(Defect.GARBAGE_TOKEN_500) and (
            len(token) > GARBAGE_LIMIT or any(not 0x20 < ord(c) < 0x7F for c in token)
        ):
            return Rejection.CRASH
        if len(token) > MAX_TOKEN_LENGTH or not _TOKEN68.fullmatch(token):
            return Rejection.INVALID
        if self._config.token_format == "opaque":
            claims = self._introspected_claims(token)
        else:
            claims = self._jwt_claims(token)
        if claims is None:
            return Rejection.INVALID
        return self._check_claims(claims, resource)

    def _jwt_claims(self, token: str) -> tuple[dict[str, object], bool] | None:
        """(claims, check_issuer) for a JWT that passes the signature policy, else None."""
        segments = token.split(".")
        if len(segments) != 3:
            return None
        header, claims = _b64_json(segments[0]), _b64_json(segments[1])
        if header is None or claims is None:
            return None
        alg, kid = header.get("alg"), header.get("kid")
        if self._config.has(Defect.SIGNATURE_NOT_CHECKED):
            return claims, True
        if isinstance(alg, str) and alg.lower() == "none":
            return (claims, True) if self._config.has(Defect.ALG_NONE_ACCEPTED) else None
        injected = header_key_claims(self._config, header, token)  # only with a header-key defect
        if injected is not None:
            return injected, True
        if (alg != ALGORITHM or kid != self._key.kid) and self._config.has(
            Defect.FOREIGN_ISSUER_ACCEPTED
        ):
            return claims, False
        if kid != self._key.kid and self._config.has(Defect.INVALID_TOKEN_COST):
            blocking_jwks_refetch()
        try:
            verified = json.loads(self._key.verify(token))
        except (InvalidSignature, ValueError):
            return None
        typ = header.get("typ")
        if not isinstance(verified, dict) or not isinstance(typ, str):
            return None
        if typ.lower() not in {"at+jwt", "application/at+jwt"}:  # RFC 9068 §4
            return None
        return verified, True

    def _introspected_claims(self, token: str) -> tuple[dict[str, object], bool] | None:
        digest = token_digest(token)
        cached = self._introspection_cache.get(digest)
        result = cached if cached is not None else self._introspect(token)
        if result.get("active") is not True or result.get("token_type") != "Bearer":
            return None
        if self._cache_introspection:
            self._introspection_cache[digest] = result
        return result, True

    def _check_claims(
        self, checked: tuple[dict[str, object], bool], resource: ResourceUrls
    ) -> Principal | Rejection:
        claims, check_issuer = checked
        if check_issuer and claims.get("iss") != self._issuer:
            return Rejection.INVALID
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or isinstance(exp, bool):
            return Rejection.INVALID
        if exp <= time.time() and not self._config.has(Defect.EXPIRED_ACCEPTED):
            return Rejection.INVALID
        audience_ok = resource.url in _audiences(claims.get("aud"))
        if not audience_ok and not self._config.has(Defect.AUDIENCE_NOT_CHECKED):
            return Rejection.INVALID
        jti = claims.get("jti")
        revoked = isinstance(jti, str) and self._store.is_jti_revoked(jti)
        if revoked and not self._config.has(Defect.REVOKED_ACCEPTED):
            return Rejection.INVALID
        subject, scope, client_id = claims.get("sub"), claims.get("scope"), claims.get("client_id")
        if not isinstance(subject, str) or not subject:
            return Rejection.INVALID
        return Principal(
            subject=subject,
            scopes=frozenset(scope.split()) if isinstance(scope, str) else frozenset(),
            client_id=client_id if isinstance(client_id, str) else None,
        )
