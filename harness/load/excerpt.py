"""Response-body excerpts for load evidence (no locust here: the harness process tests it)."""

from __future__ import annotations

from typing import Final

from harness.redact import SecretVault

EXCERPT_CHARS: Final = 300
SCANNED_CHARS: Final = 65_536  # a bound on the work per sample; far beyond any token's length


def excerpt(vault: SecretVault, body: str) -> str:
    """The first EXCERPT_CHARS of `body` with every known secret fingerprinted: redacted
    before the cut, so a secret the cut splits is still recognised and no prefix of it leaks."""
    return vault.redact(body[:SCANNED_CHARS])[:EXCERPT_CHARS]
