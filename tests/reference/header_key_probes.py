"""Probes for the JWT header-key defects (RFC 8725 §3.10): a token signed with an attacker key the
token itself names (embedded `jwk`, a `jku` JWKS, a `kid` file path) works at the MCP server; and
for `resource-unknown-accepted`: a token for a resource on a reserved domain is issued.

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
from .driver import Driver, b64url_json, pkce_pair, query_of

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


def _unknown_resource_issued(d: Driver) -> bool:
    verifier, challenge = pkce_pair()
    query = query_of(
        d.authorize(
            d.client(),
            resource="https://mcp.invalid/other",
            code_challenge=challenge,
            code_challenge_method="S256",
        )
    )
    if "code" not in query:
        return False
    client = d.client()
    response = d.token(
        grant_type="authorization_code",
        code=query["code"],
        redirect_uri=client.redirect_uri,
        client_id=client.client_id,
        code_verifier=verifier,
        resource="https://mcp.invalid/other",
    )
    return response.status_code == 200


HEADER_KEY_PROBES: dict[Defect, Probe] = {
    D.RESOURCE_UNKNOWN_ACCEPTED: _unknown_resource_issued,
    D.JWT_HEADER_JWK_TRUSTED: _embedded_jwk,
    D.JWT_JKU_FOLLOWED: _jku,
    D.JWT_KID_PATH: _kid_path,
}

HEADER_KEY_GROUPS: list[tuple[ReferenceConfig, frozenset[Defect]]] = [
    (ReferenceConfig(), frozenset(HEADER_KEY_PROBES)),
]
