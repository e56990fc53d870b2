"""`--mix`: which user classes run and their weights (plain data, no locust)."""

from __future__ import annotations

from typing import Final

from harness.errors import ConfigError

MIX_ENV: Final = "MCP_LOAD_MIX"
USER_KINDS: Final = ("mcp", "refresh", "invalid", "login", "register", "discovery")
DEFAULT_MIX: Final = "mcp=6,invalid=3,refresh=1,login=1,register=1,discovery=1"


def parse_mix(text: str) -> dict[str, int]:
    """`mcp=6,invalid=3` -> {"mcp": 6, "invalid": 3}; empty means the default mix."""
    mix: dict[str, int] = {}
    for part in (text or DEFAULT_MIX).split(","):
        name, _, weight = part.strip().partition("=")
        if name not in USER_KINDS:
            raise ConfigError(f"--mix {text!r}: user kinds are {', '.join(USER_KINDS)}")
        try:
            value = int(weight or "1")
        except ValueError:
            raise ConfigError(f"--mix {text!r}: {name}'s weight must be an integer") from None
        if value < 0:
            raise ConfigError(f"--mix {text!r}: weights must not be negative")
        if value:
            mix[name] = value
    if not mix:
        raise ConfigError(f"--mix {text!r}: no user kind has a weight")
    return mix
