"""Header-key forgeries: each names its key as its label says and verifies with that key only."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from joserfc import jws
from joserfc.jwk import ECKey, RSAKey
from joserfc.util import urlsafe_b64decode

from harness.probes.resource.forge import HarnessIssuer, parse_jws
from harness.probes.resource.header_key import (
    JKU_KID,
    KID_INJECTIONS,
    KID_TRAVERSAL,
    HeaderKeyForger,
    KeyUrls,
)

URLS = KeyUrls(jku="http://127.0.0.1:9/keys/jwks.json", x5u="http://127.0.0.1:9/keys/cert.pem")
CLAIMS = {"iss": "https://as.example", "sub": "alice", "aud": "https://mcp.example/mcp"}


@pytest.fixture(scope="module")
def forged() -> dict[str, str]:
    real = parse_jws(HarnessIssuer("https://as.example").sign(CLAIMS, kid="as-key", typ="at+jwt"))
    assert real is not None
    forger = HeaderKeyForger()
    return {f.label.split(" (")[0]: f.token for f in forger.forge(real, URLS)} | {
        "jwks-kid": str(forger.jwks()["keys"][0]["kid"]),  # type: ignore[index]
        "pem": forger.certificate_pem.decode(),
    }


def _header_and_payload(token: str) -> tuple[dict[str, object], bytes]:
    parsed = parse_jws(token)
    assert parsed is not None
    return dict(parsed.header), urlsafe_b64decode(parsed.encoded_payload.encode())


def test_embedded_jwks_verify_their_own_tokens(forged: dict[str, str]) -> None:
    registry = jws.JWSRegistry(algorithms=["RS256", "ES256"])
    registry.max_header_length = 4096
    for label, cls in (
        ("jwk: RS256, the harness key embedded", RSAKey),
        ("jwk: ES256, the harness key embedded", ECKey),
    ):
        header, payload = _header_and_payload(forged[label])
        assert "kid" not in header, "the real kid is dropped: only the embedded key is named"
        key = cls.import_key(header["jwk"])  # type: ignore[arg-type]
        assert b'"sub": "alice"' in payload or b'"sub":"alice"' in payload
        jws.deserialize_compact(forged[label], key, registry=registry)


def test_jku_and_x5u_point_at_the_listener(forged: dict[str, str]) -> None:
    jku, _ = _header_and_payload(forged[f"jku: {URLS.jku}"])
    x5u, _ = _header_and_payload(forged[f"x5u: {URLS.x5u}"])
    assert jku["jku"] == URLS.jku
    assert jku["kid"] == JKU_KID == forged["jwks-kid"]
    assert x5u["x5u"] == URLS.x5u
    assert forged["pem"].startswith("-----BEGIN CERTIFICATE-----")


@pytest.mark.parametrize("kid", [KID_TRAVERSAL, *KID_INJECTIONS])
def test_kid_forgeries_are_hs256_with_an_empty_key(forged: dict[str, str], kid: str) -> None:
    token = forged[f"kid: {kid}"]
    header, _ = _header_and_payload(token)
    assert header["alg"] == "HS256"
    assert header["kid"] == kid
    signing_input, _, signature = token.rpartition(".")
    expected = hmac.new(b"", signing_input.encode(), hashlib.sha256).digest()
    assert urlsafe_b64decode(signature.encode()) == expected
