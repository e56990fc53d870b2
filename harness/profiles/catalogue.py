"""Where profiles come from: the built-in files under `simulators/profiles/`, plus user folders.

The engine never imports `simulators`; it only locates the package's folder to read its data.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from harness.errors import ConfigError
from harness.profiles.load import load_profile
from harness.profiles.model import Profile

ProfileSet = Mapping[str, Profile]


def builtin_dir() -> Path:
    """`simulators/profiles/`, found without importing the package."""
    spec = importlib.util.find_spec("simulators")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the simulators package is not installed (pip install -e .)")
    return Path(next(iter(spec.submodule_search_locations))) / "profiles"


def load_profiles(extra_dirs: Iterable[str | Path] = ()) -> ProfileSet:
    """Every built-in profile, then every `*.toml` in `extra_dirs` (names must be unique)."""
    found: dict[str, Profile] = {}
    for folder in (builtin_dir(), *(Path(d) for d in extra_dirs)):
        if not folder.is_dir():
            raise ConfigError(f"--profile-dir: {folder} is not a folder")
        for path in sorted(folder.glob("*.toml")):
            profile = load_profile(path)
            if profile.name in found:
                raise ConfigError(
                    f"profile {profile.name!r} is defined twice: {found[profile.name].path} "
                    f"and {path}"
                )
            found[profile.name] = profile
    return MappingProxyType(dict(sorted(found.items(), key=lambda item: _order(item[1]))))


def select(profiles: ProfileSet, names: Sequence[str]) -> tuple[Profile, ...]:
    """The named profiles (all of them when `names` is empty); unknown names list the valid."""
    if not names:
        return tuple(profiles.values())
    unknown = [n for n in names if n not in profiles]
    if unknown:
        valid = ", ".join(profiles)
        raise ConfigError(f"--profile: unknown profile {unknown[0]!r}; valid profiles are {valid}")
    return tuple(profiles[n] for n in dict.fromkeys(names))


def _order(profile: Profile) -> tuple[int, str]:
    """Real clients first, then the spec baselines (oldest revision first)."""
    return (0 if profile.kind.value == "client" else 1, profile.name)
