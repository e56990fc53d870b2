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


def _catalogue() -> tuple[AnyCheck, ...]:
    names = sorted(
        (m.name for m in pkgutil.iter_modules(__path__) if m.name != "base"),
        key=lambda name: (_ORDER.index(name) if name in _ORDER else len(_ORDER), name),
    )
    found: list[AnyCheck] = []
    for name in names:
        found.extend(importlib.import_module(f"{__name__}.{name}").CHECKS)
    ids = [c.id for c in found]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise RuntimeError(f"check ids declared twice: {sorted(duplicates)}")
    return tuple(found)


ALL_CHECKS: tuple[AnyCheck, ...] = _catalogue()
BY_ID: dict[str, AnyCheck] = {c.id: c for c in ALL_CHECKS}

__all__ = ["ALL_CHECKS", "BY_ID", "AnyCheck", "Check", "Evidence", "check"]
