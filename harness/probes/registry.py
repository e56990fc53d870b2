"""Which probe produces which evidence type: the union of every probe module's `PROBES`."""

from __future__ import annotations

import importlib
import pkgutil

import harness.probes
from harness.engine import Probe


def _registry() -> dict[type, Probe]:
    probes: dict[type, Probe] = {}
    for module in pkgutil.walk_packages(harness.probes.__path__, prefix="harness.probes."):
        declared = getattr(importlib.import_module(module.name), "PROBES", {})
        clash = set(declared) & set(probes)
        if clash:
            raise RuntimeError(
                f"evidence produced by two probes: {sorted(t.__name__ for t in clash)}"
            )
        probes.update(declared)
    return probes


PROBES: dict[type, Probe] = _registry()
