"""MCP protocol revisions and what each changes on the wire."""

from __future__ import annotations

import base64
from enum import StrEnum


class ProtocolVersion(StrEnum):
    V2025_03_26 = "2025-03-26"
    V2025_06_18 = "2025-06-18"
    V2025_11_25 = "2025-11-25"
    V2026_07_28 = "2026-07-28"


LEGACY_VERSIONS = (
    ProtocolVersion.V2025_03_26,
    ProtocolVersion.V2025_06_18,
    ProtocolVersion.V2025_11_25,
)
MODERN_VERSIONS = (ProtocolVersion.V2026_07_28,)
METHOD_NOT_FOUND = -32601
UNSUPPORTED_PROTOCOL_VERSION = -32022  # 2026-07-28 error codes a modern server returns
HEADER_MISMATCH = -32020
MISSING_REQUIRED_CLIENT_CAPABILITY = -32021
MODERN_ERROR_CODES = frozenset(
    {UNSUPPORTED_PROTOCOL_VERSION, HEADER_MISMATCH, MISSING_REQUIRED_CLIENT_CAPABILITY}
)
_SENTINEL_PREFIX, _SENTINEL_SUFFIX = "=?base64?", "?="


def is_modern(version: str) -> bool:
    """Stateless, per-request metadata (2026-07-28 and later): no initialize, no session."""
    return version not in LEGACY_VERSIONS and version >= ProtocolVersion.V2026_07_28


def sends_version_header(version: str) -> bool:
    """`MCP-Protocol-Version` exists from 2025-06-18 on."""
    return version != ProtocolVersion.V2025_03_26


def header_value(value: str) -> str:
    """2026-07-28 value encoding for `Mcp-Name` / `Mcp-Param-*`: plain when header-safe, else
    `=?base64?…?=` (also for plain values that look like the sentinel)."""
    safe = all(c == "\t" or " " <= c <= "~" for c in value) and value == value.strip()
    looks_encoded = value.startswith(_SENTINEL_PREFIX) and value.endswith(_SENTINEL_SUFFIX)
    if safe and not looks_encoded:
        return value
    encoded = base64.b64encode(value.encode("utf-8")).decode("ascii")
    return f"{_SENTINEL_PREFIX}{encoded}{_SENTINEL_SUFFIX}"
