"""The stable request names of the load users and the protocol between the locust processes
and the harness (no locust import: the harness process reads these too)."""

from __future__ import annotations

from typing import Final

MCP_TOOLS: Final = "mcp: tools/list"
MCP_INIT: Final = "mcp: initialize"
REFRESH: Final = "token: refresh"
REFRESH_HERD: Final = "token: refresh (herd)"
REFRESH_EXPIRY: Final = "token: refresh (expiry)"
AUTHORIZE: Final = "oauth: authorize"
CODE: Final = "token: code"
REGISTER: Final = "register"
INVALID_KINDS: Final = ("garbage", "random-kid", "expired", "wrong-audience")
HERD_WINDOW_S: Final = 2.0  # the refresh storm's phase after the herd instant
PROGRESS_PREFIX: Final = "MCP-LOAD-PROGRESS "  # a JSON line a second on the master's stdout


def initialize_request(protocol_version: str) -> dict[str, object]:
    """The JSON-RPC initialize every load user and probe sends (it needs no session)."""
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": protocol_version,
            "capabilities": {},
            "clientInfo": {"name": "mcp-auth-harness-load", "version": "1"},
        },
    }


def invalid_name(kind: str) -> str:
    return f"mcp: invalid token ({kind})"


NAMES: Final = (
    MCP_INIT,
    MCP_TOOLS,
    REFRESH,
    REFRESH_HERD,
    REFRESH_EXPIRY,
    AUTHORIZE,
    CODE,
    REGISTER,
    *(invalid_name(kind) for kind in INVALID_KINDS),
)
