"""The authorization server's signing key, generated per server so no two runs share a key."""

from __future__ import annotations

import json
from typing import Final

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

ALGORITHM: Final = "RS256"


class InvalidSignature(Exception):
    """The JWS did not verify with our key (or was not a JWS at all)."""


class SigningKey:
    """An RSA key that signs access tokens and publishes its public half as a JWKS."""

    def __init__(self) -> None:
        self._key = RSAKey.generate_key(
            2048, parameters={"use": "sig", "alg": ALGORITHM}, auto_kid=True
        )

    @property
    def kid(self) -> str:
        kid = self._key.kid
        if kid is None:  # pragma: no cover - auto_kid guarantees one
            raise RuntimeError("generated key has no kid")
        return kid

    def jwks(self) -> dict[str, object]:
        return {"keys": [self._key.as_dict(private=False)]}

    def sign(self, claims: dict[str, object], *, typ: str = "at+jwt") -> str:
        header = {"alg": ALGORITHM, "kid": self.kid, "typ": typ}
        payload = json.dumps(claims, separators=(",", ":")).encode()
        return jws.serialize_compact(header, payload, self._key, algorithms=[ALGORITHM])

    def verify(self, token: str) -> bytes:
        """Return the payload bytes of a compact JWS signed by this key with RS256."""
        try:
            return jws.deserialize_compact(token, self._key, algorithms=[ALGORITHM]).payload
        except (JoseError, ValueError, TypeError) as exc:
            raise InvalidSignature(type(exc).__name__) from None
