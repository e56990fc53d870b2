"""The prompt-injection corpus the simulated agent obeys (misuse.*).

Injections are data (TOML): the bundled `scenarios/data/injections.toml`, plus a vendor's own
file named by `[misuse].injections`. Each entry says how to recognise the injection in what a
tool returns (`match`) and what a steered agent then does (`steps`, a closed set).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from harness.errors import ConfigError

BUNDLED = Path(__file__).resolve().parents[3] / "scenarios" / "data" / "injections.toml"
MAX_INJECTIONS = 100
MAX_PATTERN = 500
MAX_SCANNED = 64 * 1024  # characters of tool output the agent reads


class Step(StrEnum):
    CALL_PRIVILEGED_TOOLS = "call-privileged-tools"
    REPLAY_TOKEN = "replay-token"  # noqa: S105 - a step name, not a secret
    CALL_UPSTREAM = "call-upstream"


@dataclass(frozen=True, slots=True, kw_only=True)
class Injection:
    id: str
    match: re.Pattern[str] = field(repr=False)
    steps: frozenset[Step]
    text: str = field(default="", repr=False)


def load_corpus(extra: str | None) -> tuple[Injection, ...]:
    """The bundled injections and those of `extra`; errors name the file and the entry."""
    paths = [p for p in (BUNDLED,) if p.is_file()]
    if extra:
        paths.append(Path(extra))
    corpus: list[Injection] = []
    for path in paths:
        corpus += _load(path)
    return tuple(corpus[:MAX_INJECTIONS])


def _load(path: Path) -> list[Injection]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"[misuse].injections: {path} does not exist") from exc
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable TOML injection corpus: {exc}") from exc
    entries = data.get("injection", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: [[injection]] must be an array of tables")
    return [_entry(path, index, entry) for index, entry in enumerate(entries)]


def _entry(path: Path, index: int, entry: object) -> Injection:
    where = f"{path}: [[injection]] {index + 1}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a table")
    ident, pattern, steps, text = (
        entry.get("id"),
        entry.get("match"),
        entry.get("steps"),
        entry.get("text", ""),
    )
    if not isinstance(ident, str) or not ident:
        raise ConfigError(f"{where}: id must be a non-empty string")
    if not isinstance(pattern, str) or not 0 < len(pattern) <= MAX_PATTERN:
        raise ConfigError(f"{where} ({ident}): match must be a regular expression")
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ConfigError(f"{where} ({ident}): match is not a valid expression: {exc}") from exc
    valid = ", ".join(s.value for s in Step)
    if not isinstance(steps, list) or not steps or not all(s in set(Step) for s in steps):
        raise ConfigError(f"{where} ({ident}): steps must be a list of: {valid}")
    if not isinstance(text, str):
        raise ConfigError(f"{where} ({ident}): text must be a string")
    return Injection(id=ident, match=compiled, steps=frozenset(Step(s) for s in steps), text=text)


def find_injections(corpus: Sequence[Injection], texts: Sequence[str]) -> tuple[Injection, ...]:
    """The corpus entries whose `match` occurs in what the agent read."""
    read = "\n".join(texts)[:MAX_SCANNED]
    return tuple(i for i in corpus if i.match.search(read))
