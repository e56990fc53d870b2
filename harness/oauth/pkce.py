"""PKCE (RFC 7636): a verifier and its challenge."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from harness.redact import SecretVault

PkceMethod = Literal["S256", "plain"]
VERIFIER_LENGTH = 64  # RFC 7636 §4.1: 43 to 128 unreserved characters


@dataclass(frozen=True, slots=True, kw_only=True)
class Pkce:
    verifier: str = field(repr=False)
    challenge: str
    method: PkceMethod


def new_pkce(method: PkceMethod = "S256", *, vault: SecretVault | None = None) -> Pkce:
    """A fresh verifier, registered in `vault` (pass `http.vault`) before it is sent anywhere.

    With `plain` the challenge is the verifier, so it too is a secret.
    """
    verifier = str(generate_token(VERIFIER_LENGTH))
    if vault is not None:
        vault.add(verifier)
    challenge = str(create_s256_code_challenge(verifier)) if method == "S256" else verifier
    return Pkce(verifier=verifier, challenge=challenge, method=method)
