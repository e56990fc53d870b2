"""The harness's locustfile: `locust -f harness/load/locustfile.py --mcp-target URL` (web UI
or headless), or driven by `mcp-auth-harness load`, which passes `MCP_LOAD_MATERIAL` and
`MCP_LOAD_SHAPE=1` so the run follows the plan: valid users alone first (the baseline), then
the whole mix (the flood), with the expiry herd inside the flood.

`MCP_LOAD_MIX` (e.g. `mcp=6,invalid=3,refresh=1`) sets the user classes and their weights.
"""

from __future__ import annotations

import os

from locust import LoadTestShape

from harness.load.material import MATERIAL_ENV, Material
from harness.load.mix import MIX_ENV, parse_mix
from harness.load.users import USER_CLASSES, AuthUser

MIX = parse_mix(os.environ.get(MIX_ENV, ""))
for _name, _weight in MIX.items():
    USER_CLASSES[_name].weight = _weight
# locust picks up every User class in this module's namespace: only the mix's
globals().update({USER_CLASSES[name].__name__: USER_CLASSES[name] for name in MIX})


class PlannedShape(LoadTestShape):
    """Baseline (valid users only), then the flood (every class of the mix), then stop."""

    abstract = os.environ.get("MCP_LOAD_SHAPE") != "1"

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        material = Material.read(os.environ[MATERIAL_ENV])
        self._plan = material.plan
        self._users = int(os.environ.get("MCP_LOAD_USERS", "10"))
        self._rate = float(os.environ.get("MCP_LOAD_SPAWN_RATE", str(self._users)))
        total = sum(MIX.values())
        self._valid = max(1, round(self._users * MIX.get("mcp", 0) / total)) if total else 0
        self._classes: list[type[AuthUser]] = [USER_CLASSES[name] for name in MIX]

    def tick(self) -> tuple[int, float, list[type[AuthUser]]] | None:  # type: ignore[override]
        t = self.get_run_time()  # type: ignore[no-untyped-call]
        if t >= self._plan.duration_s:
            return None
        if t < self._plan.baseline_s and "mcp" in MIX:
            return self._valid, self._rate, [USER_CLASSES["mcp"]]
        return self._users, self._rate, self._classes
