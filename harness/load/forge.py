"""Invalid tokens for the flood (no locust import, so the benchmark sends the same ones)."""

from __future__ import annotations

import base64
import json
import secrets
from typing import Final

#: over 8 KB, with a space, outside token68, a JWT-like shape, plain base64
GARBAGE: Final = ("x" * 9000, "garbage token", "%%%%", "a.b.c", "Zm9v" * 3)


def random_kid(token: str) -> str | None:
    """`token` with a fresh random `kid` in its header: a JWT no key of the server verifies
    (a server that refetches its JWKS for each unknown kid pays for every one)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except ValueError:
        return None
    if not isinstance(header, dict):
        return None
    header["kid"] = secrets.token_hex(8)
    encoded = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    return ".".join((encoded, parts[1], parts[2]))
