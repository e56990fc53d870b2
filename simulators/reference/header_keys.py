"""The header-key defects: a verifier that takes its key from the token (RFC 8725 §3.10).

Only reached with `jwt-header-jwk-trusted`, `jwt-jku-followed` or `jwt-kid-path`; the correct
reference verifies with its own key alone and never looks at `jwk`, `jku` or a `kid` path.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import tempfile
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey
from joserfc.util import urlsafe_b64decode

from simulators.reference.config import ReferenceConfig
from simulators.reference.defects import Defect

ASYMMETRIC: Final = ("RS256", "ES256")
#: where a `kid` names a key file: the traversal a vulnerable verifier allows starts here
KEY_DIR: Final = Path(tempfile.gettempdir())
MAX_KEY_BYTES: Final = 64 * 1024
FETCH_TIMEOUT_S: Final = 2.0
LOOPBACK: Final = frozenset({"127.0.0.1", "::1", "localhost"})


def header_key_claims(
    config: ReferenceConfig, header: Mapping[str, object], token: str
) -> dict[str, object] | None:
    """The claims when a header-key defect verifies `token` with a key the token names."""
    alg = header.get("alg")
    jwk, jku, kid = header.get("jwk"), header.get("jku"), header.get("kid")
    if config.has(Defect.JWT_HEADER_JWK_TRUSTED) and isinstance(jwk, dict) and alg in ASYMMETRIC:
        return _verified(token, jwk, str(alg))
    if config.has(Defect.JWT_JKU_FOLLOWED) and isinstance(jku, str) and alg in ASYMMETRIC:
        key = _from_jku(jku, kid)
        return _verified(token, key, str(alg)) if key is not None else None
    if config.has(Defect.JWT_KID_PATH) and isinstance(kid, str) and alg == "HS256":
        return _hmac_with_key_file(token, kid)
    return None


def _verified(token: str, jwk: Mapping[str, object], alg: str) -> dict[str, object] | None:
    fields: dict[str, str | list[str]] = {k: v for k, v in jwk.items() if isinstance(v, str)}
    try:
        key = RSAKey.import_key(fields) if alg == "RS256" else ECKey.import_key(fields)
        registry = jws.JWSRegistry(algorithms=[alg])
        registry.max_header_length = 4096  # an embedded RSA jwk outgrows joserfc's 512 bytes
        payload = jws.deserialize_compact(token, key, registry=registry).payload
        claims = json.loads(payload)
    except (JoseError, ValueError, TypeError):
        return None
    return claims if isinstance(claims, dict) else None


def _from_jku(url: str, kid: object) -> Mapping[str, object] | None:
    """The JWKS at `url`, fetched as the bug would (loopback only, so no test leaves the host)."""
    if urlsplit(url).hostname not in LOOPBACK:
        return None
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as response:  # noqa: S310
            document = json.loads(response.read(MAX_KEY_BYTES))
    except (OSError, ValueError):
        return None
    keys = document.get("keys") if isinstance(document, dict) else None
    candidates = [k for k in keys if isinstance(k, dict)] if isinstance(keys, list) else []
    return next((k for k in candidates if k.get("kid") == kid), None) or next(
        iter(candidates), None
    )


def _hmac_with_key_file(token: str, kid: str) -> dict[str, object] | None:
    """HS256 keyed with the file `kid` names under KEY_DIR: `../../dev/null` gives an empty key."""
    try:
        with (KEY_DIR / kid).open("rb") as file:
            secret = file.read(MAX_KEY_BYTES)
    except (OSError, ValueError):
        return None
    header, payload, signature = token.split(".")
    mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    try:
        valid = hmac.compare_digest(mac, urlsafe_b64decode(signature.encode()))
        claims = json.loads(urlsafe_b64decode(payload.encode()))
    except (ValueError, UnicodeDecodeError):
        return None
    return claims if valid and isinstance(claims, dict) else None
