"""The check catalogue: every check the harness knows, by contract id.

Checks judge evidence and never send requests; see `harness.checks.base`. Each module of this
package declares a `CHECKS` tuple; the catalogue is their concatenation in contract order.
"""

from __future__ import annotations

import importlib
import pkgutil

from harness.checks.base import AnyCheck, Check, Evidence, check

# Contract order (CONTRACT §4); modules not listed here follow in name order.
_ORDER = (
    "transport",
    "discovery",
    "registration",
    "authorization",
    "pkce",
    "token_endpoint",
    "refresh",
    "bearer",
    "token_validation",
    "scope",
    "sessions",
    "misuse",
    "scenarios",
)


def _catalogue(kind: str = "CHECKS") -> tuple[AnyCheck, ...]:
    names = sorted(
        (m.name for m in pkgutil.iter_modules(__path__) if m.name != "base"),
        key=lambda name: (_ORDER.index(name) if name in _ORDER else len(_ORDER), name),
    )
    found: list[AnyCheck] = []
    for name in names:
        found.extend(getattr(importlib.import_module(f"{__name__}.{name}"), kind, ()))
    ids = [c.id for c in found]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise RuntimeError(f"check ids declared twice: {sorted(duplicates)}")
    return tuple(found)


ALL_CHECKS: tuple[AnyCheck, ...] = _catalogue()
# Checks of real clients' traffic seen through the proxy (`OBSERVED` of a module): never planned
# by the engine, judged by `harness.proxy.passive`.
OBSERVED_CHECKS: tuple[AnyCheck, ...] = _catalogue("OBSERVED")
BY_ID: dict[str, AnyCheck] = {c.id: c for c in ALL_CHECKS}

__all__ = ["ALL_CHECKS", "BY_ID", "OBSERVED_CHECKS", "AnyCheck", "Check", "Evidence", "check"]
