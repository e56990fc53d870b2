"""Token forgery: every forged token differs from the real one exactly as its label says."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, RSAKey

from harness.probes.resource.forge import (
    HARNESS_KID,
    HarnessIssuer,
    alg_confusion,
    alg_none,
    foreign_claims,
    foreign_issuer,
    parse_jws,
    public_key_forms,
    tampered,
    token_kind,
)

CLAIMS = {
    "iss": "https://as.example",
    "sub": "alice",
    "aud": "https://mcp.example/mcp",
    "scope": "notes:read",
    "exp": 2_000_000_000,
}


@pytest.fixture(scope="module")
def key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "as-key"})


@pytest.fixture(scope="module")
def token(key: RSAKey) -> str:
    header = {"alg": "RS256", "kid": "as-key", "typ": "at+jwt"}
    return jws.serialize_compact(header, json.dumps(CLAIMS), key, algorithms=["RS256"])


def _b64json(segment: str) -> dict[str, object]:
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(segment + "=="))
    return decoded


def _verifies(token: str, key: RSAKey) -> bool:
    try:
        jws.deserialize_compact(token, key, algorithms=["RS256"])
    except (JoseError, ValueError):
        return False
    return True


def test_parse_and_kind(token: str) -> None:
    real = parse_jws(token)
    assert real is not None
    assert (real.alg, real.kid) == ("RS256", "as-key")
    assert real.claims == CLAIMS
    assert token_kind(token) == "jwt"
    assert token_kind("opaque-token-value") == "opaque"
    assert token_kind("a.b.c.d.e") == "jwe"
    assert parse_jws("a.b.c") is None
    assert parse_jws("eyJhIjoxfQ.e30.") is None  # no alg


def test_alg_none_keeps_the_claims_and_drops_the_signature(token: str) -> None:
    real = parse_jws(token)
    assert real is not None
    forged = alg_none(real)
    assert [_b64json(f.token.split(".")[0])["alg"] for f in forged] == [
        "none",
        "None",
        "NONE",
        "nOnE",
        "none",
    ]
    for f in forged:
        header, payload, _ = f.token.split(".")
        assert payload == real.encoded_payload
        assert _b64json(header)["kid"] == "as-key"
    assert [f.token.endswith(".") for f in forged] == [True, True, True, True, False]


def test_tampered_tokens_no_longer_verify(token: str, key: RSAKey) -> None:
    assert _verifies(token, key)
    real = parse_jws(token)
    assert real is not None
    forged = tampered(real)
    labels = [f.label for f in forged]
    assert labels == [
        "scope widened, original signature",
        "sub changed, original signature",
        "exp extended by a day, original signature",
        "signature stripped",
        "signature corrupted",
    ]
    for f in forged:
        assert not _verifies(f.token, key), f.label
    assert _b64json(forged[0].token.split(".")[1])["scope"] == "notes:read admin"
    assert forged[0].token.split(".")[2] == real.signature


@pytest.mark.parametrize("kind", ["RSA", "EC"])
def test_alg_confusion_is_hmac_keyed_with_each_public_key_form(kind: str) -> None:
    key = RSAKey.generate_key(2048) if kind == "RSA" else ECKey.generate_key("P-256")
    alg = "RS256" if kind == "RSA" else "ES256"
    token = jws.serialize_compact({"alg": alg}, json.dumps(CLAIMS), key, algorithms=[alg])
    real = parse_jws(token)
    assert real is not None
    public = key.as_dict(private=False)
    forms = dict(public_key_forms(public))
    assert forms["PEM"].startswith(b"-----BEGIN PUBLIC KEY-----")
    assert forms["DER"][0] == 0x30  # an ASN.1 SEQUENCE
    forged = alg_confusion(real, public)
    assert len(forged) == len(forms)
    for f, secret in zip(forged, forms.values(), strict=True):
        header, payload, signature = f.token.split(".")
        assert _b64json(header)["alg"] == "HS256"
        assert payload == real.encoded_payload
        expected = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        assert base64.urlsafe_b64decode(signature + "==") == expected


def test_alg_confusion_needs_an_asymmetric_key(token: str) -> None:
    real = parse_jws(token)
    assert real is not None
    with pytest.raises(ValueError, match="not RSA or EC"):
        alg_confusion(real, {"kty": "oct", "k": "c2VjcmV0"})


def test_foreign_issuer_tokens_verify_only_with_the_harness_keys(token: str, key: RSAKey) -> None:
    real = parse_jws(token)
    issuer = HarnessIssuer("http://127.0.0.1:9/issuer")
    claims = foreign_claims(real, resource="r", scope=None, as_issuer=None)
    assert claims["exp"] > time.time()
    forged = foreign_issuer(issuer, claims, as_kid="as-key", typ="at+jwt")
    harness_keys = KeySet.import_key_set(issuer.jwks())  # type: ignore[arg-type]
    issuers, kids = [], []
    for f in forged:
        assert not _verifies(f.token, key)
        parsed = jws.deserialize_compact(f.token, harness_keys.keys[0], algorithms=["RS256"])
        issuers.append(json.loads(parsed.payload)["iss"])
        kids.append(parsed.protected["kid"])
    assert issuers == ["http://127.0.0.1:9/issuer", "https://as.example", "https://as.example"]
    assert kids == [HARNESS_KID, HARNESS_KID, "as-key"]
    assert issuer.metadata("http://127.0.0.1:9/jwks")["issuer"] == "http://127.0.0.1:9/issuer"


def test_foreign_claims_for_an_opaque_token() -> None:
    claims = foreign_claims(
        None, resource="https://mcp.example/mcp", scope="notes:read", as_issuer="https://as"
    )
    assert claims["aud"] == "https://mcp.example/mcp"
    assert claims["scope"] == "notes:read"
    assert claims["iss"] == "https://as"
    only_own = foreign_issuer(
        HarnessIssuer("http://127.0.0.1:9/i"),
        {k: v for k, v in claims.items() if k != "iss"},
        as_kid=None,
        typ=None,
    )
    assert len(only_own) == 1
