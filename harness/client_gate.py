"""`--require-clients`: gate a run on named client profiles working with the target.

`NAME` demands `works`; `NAME:degraded` also accepts `degraded`. A required client without a
compatibility entry (its scenarios did not all run) is unmet: it was not shown to work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from harness.errors import ConfigError
from harness.results import CompatVerdict

_WORKS = frozenset({CompatVerdict.WORKS.value})
_DEGRADED = _WORKS | {CompatVerdict.DEGRADED.value}


def parse_required_clients(spec: str | None, simulated: Sequence[str]) -> dict[str, frozenset[str]]:
    """Each required profile and the compatibility verdicts that satisfy it."""
    required: dict[str, frozenset[str]] = {}
    for item in (spec or "").split(","):
        item = item.strip()
        if not item:
            continue
        name, _, accept = item.partition(":")
        if accept not in {"", "degraded"}:
            raise ConfigError(
                f"--require-clients: {item!r}: the only qualifier is ':degraded' (NAME:degraded)"
            )
        if name not in simulated:
            raise ConfigError(
                f"--require-clients: {name!r} is not simulated in this run; "
                f"simulated profiles are {', '.join(simulated)}"
            )
        required[name] = _DEGRADED if accept else _WORKS
    if spec is not None and not required:
        raise ConfigError("--require-clients: name at least one client profile")
    return required


def unmet_clients(
    entries: Sequence[Mapping[str, object]], required: Mapping[str, frozenset[str]]
) -> list[str]:
    """One line per required client whose compatibility verdict is not accepted."""
    verdicts = {str(e.get("profile")): str(e.get("verdict")) for e in entries}
    unmet = []
    for name, accepted in required.items():
        verdict = verdicts.get(name)
        if verdict is None:
            unmet.append(f"{name}: no compatibility verdict (its scenarios did not all run)")
        elif verdict not in accepted:
            want = " or ".join(sorted(accepted, reverse=True))
            unmet.append(f"{name} is {verdict}, required {want}")
    return unmet
