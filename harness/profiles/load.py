"""Reading a profile file (TOML) into a `Profile`, strictly.

Unknown keys and values are errors that list the valid ones; a knob whose value differs from the
default must say where that behaviour was seen (`source`, one URL or a list) and when (`observed`,
a date or a client version), either on the knob (an inline table) or for its whole section.
A source is a public URL, or a wire observation of a real client as the project's reference
records it: "observed 2026-12-02, <client> <version>".
"""

from __future__ import annotations

import re
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import fields
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast
from urllib.parse import urlsplit

from harness.errors import ConfigError
from harness.profiles.model import (
    SECTIONS,
    ConformanceExpectation,
    Knob,
    KnownIssue,
    Profile,
    ProfileKind,
)

_TOP_LEVEL = frozenset(
    {"name", "title", "client", "kind", "observed", "description", "known_issues", "conformance"}
)
_SECTION_META = frozenset({"source", "observed", "note"})
_KNOB_TABLE = frozenset({"value", "source", "observed", "note"})
_INT_RANGES = MappingProxyType(
    {"per_connect": (1, 3), "max_attempts": (0, 5), "use": (0, 9), "sessions": (1, 3)}
)
OBSERVATION = re.compile(r"observed \d{4}-\d{2}-\d{2}, \S.*")


def load_profile(path: Path) -> Profile:
    """Read and validate one profile file; `ConfigError` names the file and the key."""
    where = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read the profile: {exc.strerror}") from exc
    profile = parse_profile(data, source=where)
    if profile.name != path.stem:
        raise ConfigError(f"{where}: name {profile.name!r} must equal the file name {path.stem!r}")
    return profile


def parse_profile(data: Mapping[str, object], *, source: str = "<profile>") -> Profile:
    unknown = sorted(set(data) - _TOP_LEVEL - set(SECTIONS))
    if unknown:
        valid = ", ".join(sorted(_TOP_LEVEL | set(SECTIONS)))
        raise ConfigError(f"{source}: unknown key {unknown[0]!r}; valid keys are {valid}")
    kind_name = _string(data, "kind", source, required=True)
    try:
        kind = ProfileKind(kind_name)
    except ValueError:
        raise ConfigError(f"{source}: kind must be client or spec, not {kind_name!r}") from None
    sections = {name: _section(source, name, data.get(name, {})) for name in SECTIONS}
    return Profile(
        name=_string(data, "name", source, required=True),
        title=_string(data, "title", source, required=True),
        client=_string(data, "client", source, required=True),
        kind=kind,
        observed=_string(data, "observed", source, required=True),
        description=_string(data, "description", source),
        path=source,
        known_issues=_known_issues(source, data.get("known_issues", [])),
        conformance=_conformance(source, data.get("conformance", {})),
        **cast("dict[str, Any]", sections),
    )


def _section(source: str, name: str, raw: object) -> object:
    record_type = _section_types()[name]
    where = f"{source}: [{name}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a table")
    table = cast("dict[str, object]", raw)
    knobs = {f.name for f in fields(record_type)}
    unknown = sorted(set(table) - knobs - _SECTION_META)
    if unknown:
        valid = ", ".join(sorted(knobs | _SECTION_META))
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}; valid keys are {valid}")
    defaults = record_type()
    hints = _type_hints(record_type)
    section_source = _sources(table.get("source"), f"{where}.source")
    section_observed = _optional_str(table.get("observed"), f"{where}.observed")
    values: dict[str, Knob[object]] = {}
    for key in knobs & set(table):
        default: Knob[object] = getattr(defaults, key)
        value_type = typing.get_args(hints[key])[0]
        values[key] = _knob(
            table[key],
            value_type,
            default,
            f"{where}.{key}",
            inherited=(section_source, section_observed),
        )
    return record_type(**values)


def _knob(
    raw: object,
    value_type: object,
    default: Knob[object],
    where: str,
    *,
    inherited: tuple[tuple[str, ...], str | None],
) -> Knob[object]:
    source, observed, note = inherited[0], inherited[1], None
    table_raw = raw
    if isinstance(raw, dict) and not _is_string_table(value_type):
        table = cast("dict[str, object]", raw)
        unknown = sorted(set(table) - _KNOB_TABLE)
        if unknown or "value" not in table:
            valid = ", ".join(sorted(_KNOB_TABLE))
            raise ConfigError(f"{where}: a knob table needs 'value' and may have {valid}")
        raw = table["value"]
        source = _sources(table.get("source"), f"{where}.source") or source
        observed = _optional_str(table.get("observed"), f"{where}.observed") or observed
        note = _optional_str(table.get("note"), f"{where}.note")
    value = _convert(value_type, raw, where)
    name = where.rsplit(".", 1)[-1]
    if isinstance(value, int) and not isinstance(value, bool) and name in _INT_RANGES:
        low, high = _INT_RANGES[name]
        if not low <= value <= high:
            raise ConfigError(f"{where}: must be between {low} and {high}, not {value}")
    if value == default.value:
        explicit = isinstance(table_raw, dict) and not _is_string_table(value_type)
        if not explicit:
            return Knob(value=value)
        return Knob(value=value, source=source, observed=observed, note=note)
    if not source or not observed:
        raise ConfigError(
            f"{where}: {_show(value)} differs from the default {_show(default.value)}; say where "
            "this behaviour was seen (source = URL) and when (observed = date or version)"
        )
    return Knob(value=value, source=source, observed=observed, note=note, deviates=True)


def _convert(value_type: object, raw: object, where: str) -> object:
    if value_type is bool:
        if not isinstance(raw, bool):
            raise ConfigError(f"{where}: must be true or false")
        return raw
    if value_type is int:
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise ConfigError(f"{where}: must be an integer")
        return raw
    if value_type is str:
        if not isinstance(raw, str):
            raise ConfigError(f"{where}: must be a string")
        return raw
    if isinstance(value_type, type) and issubclass(value_type, StrEnum):
        return _enum(value_type, raw, where)
    origin, args = typing.get_origin(value_type), typing.get_args(value_type)
    if origin is tuple and args and args[-1] is Ellipsis:
        item = args[0]
        if typing.get_origin(item) is tuple:  # tuple[tuple[str, str], ...]: a table of strings
            if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
                raise ConfigError(f"{where}: must be a table of strings")
            return tuple(sorted((str(k), str(v)) for k, v in raw.items()))
        if not isinstance(raw, list):
            raise ConfigError(f"{where}: must be a list")
        return tuple(_convert(item, element, where) for element in raw)
    raise TypeError(f"no reader for knob type {value_type!r}")  # pragma: no cover


def _is_string_table(value_type: object) -> bool:
    args = typing.get_args(value_type)
    return bool(args) and typing.get_origin(args[0]) is tuple


def _enum(enum: type[StrEnum], raw: object, where: str) -> StrEnum:
    try:
        return enum(str(raw)) if isinstance(raw, str) else enum(raw)  # type: ignore[arg-type]
    except ValueError:
        valid = ", ".join(repr(member.value) for member in enum)
        raise ConfigError(f"{where}: {raw!r} is not one of {valid}") from None


def _sources(raw: object, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f"{where}: must be a URL or a list of URLs")
    for value in values:
        parts = urlsplit(value)
        if OBSERVATION.fullmatch(value):
            continue
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ConfigError(
                f"{where}: {value!r} is not an http(s) URL nor an observation "
                "('observed YYYY-MM-DD, <client> <version>')"
            )
    return tuple(values)


def _optional_str(raw: object, where: str) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw.strip():
        raise ConfigError(f"{where}: must be a non-empty string")
    return raw


def _string(data: Mapping[str, object], key: str, source: str, *, required: bool = False) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{source}: {key} must be a non-empty string")
    return value


def _known_issues(source: str, raw: object) -> tuple[KnownIssue, ...]:
    if not isinstance(raw, list):
        raise ConfigError(f"{source}: [[known_issues]] must be an array of tables")
    issues = []
    valid = {"id", "text", "source", "observed", "mitigation"}
    for index, entry in enumerate(raw):
        where = f"{source}: known_issues[{index}]"
        if not isinstance(entry, dict) or set(entry) - valid:
            raise ConfigError(f"{where}: a table with {', '.join(sorted(valid))}")
        table = cast("dict[str, object]", entry)
        sources = _sources(table.get("source"), f"{where}.source")
        if not sources:
            raise ConfigError(f"{where}: source is required")
        issues.append(
            KnownIssue(
                id=_string(table, "id", where, required=True),
                text=_string(table, "text", where, required=True),
                source=sources,
                observed=_string(table, "observed", where, required=True),
                mitigation=_string(table, "mitigation", where),
            )
        )
    return tuple(issues)


def _conformance(source: str, raw: object) -> ConformanceExpectation:
    where = f"{source}: [conformance]"
    if not isinstance(raw, dict) or set(raw) - {"fails", "note"}:
        raise ConfigError(f"{where}: a table with fails (a list of scenario names) and note")
    table = cast("dict[str, object]", raw)
    fails = table.get("fails", [])
    if not isinstance(fails, list) or not all(isinstance(f, str) for f in fails):
        raise ConfigError(f"{where}.fails: must be a list of scenario names")
    return ConformanceExpectation(
        fails=tuple(cast("list[str]", fails)), note=_string(table, "note", where)
    )


def _show(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return repr(value.value if isinstance(value, StrEnum) else value)


def _section_types() -> dict[str, type[Any]]:
    hints = _type_hints(Profile)
    return {name: hints[name] for name in SECTIONS}


_HINTS: dict[object, dict[str, Any]] = {}


def _type_hints(record_type: object) -> dict[str, Any]:
    """Resolved once per record type: resolving evaluates every annotation string again."""
    if record_type not in _HINTS:
        _HINTS[record_type] = typing.get_type_hints(record_type)
    return _HINTS[record_type]
