"""Reading a report.json back: the edge where untrusted JSON becomes a typed `Report`.

Every problem becomes a `ConfigError` whose sentence names the file, what is wrong and where
(`results[2].verdict`), so `mcp-auth-harness report` can exit 2 with it.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

from harness.errors import ConfigError
from harness.results import (
    SCHEMA,
    Attribution,
    CompatVerdict,
    Level,
    Report,
    Severity,
    Verdict,
)

_HINT = "pass a report.json written by `mcp-auth-harness run`"


class _Mismatch(Exception):
    """Where the document departs from the schema, as a phrase."""


def _obj(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise _Mismatch(f"{where} must be an object, not {_kind(value)}")
    return {str(k): v for k, v in value.items()}


def _list(value: object, where: str) -> list[object]:
    if not isinstance(value, list):
        raise _Mismatch(f"{where} must be a list, not {_kind(value)}")
    return value


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    names |= {int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _required(data: dict[str, object], key: str, where: str) -> object:
    if key not in data:
        raise _Mismatch(f"{where}.{key} is missing")
    return data[key]


def _str(value: object, where: str, *, nullable: bool = False) -> None:
    if isinstance(value, str) or (nullable and value is None):
        return
    wanted = "a string or null" if nullable else "a string"
    raise _Mismatch(f"{where} must be {wanted}, not {_kind(value)}")


def _strings(value: object, where: str) -> None:
    for index, item in enumerate(_list(value, where)):
        _str(item, f"{where}[{index}]")


def _number(value: object, where: str, *, integer: bool = False) -> None:
    allowed: tuple[type, ...] = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, allowed):
        wanted = "an integer" if integer else "a number"
        raise _Mismatch(f"{where} must be {wanted}, not {_kind(value)}")


def _enum(value: object, enum: type[StrEnum], where: str) -> None:
    choices = [member.value for member in enum]
    if value not in choices:
        raise _Mismatch(f"{where} is {value!r}, expected one of {', '.join(choices)}")


def _result(value: object, where: str) -> None:
    data = _obj(value, where)
    _str(_required(data, "check", where), f"{where}.check")
    _enum(_required(data, "level", where), Level, f"{where}.level")
    _enum(_required(data, "severity", where), Severity, f"{where}.severity")
    _enum(_required(data, "verdict", where), Verdict, f"{where}.verdict")
    for key in ("title", "message"):
        if key in data:
            _str(data[key], f"{where}.{key}")
    for key in ("profile", "reproduce"):
        if key in data:
            _str(data[key], f"{where}.{key}", nullable=True)
    if "spec_refs" in data:
        _strings(data["spec_refs"], f"{where}.spec_refs")
    if "evidence" in data:
        for index, item in enumerate(_list(data["evidence"], f"{where}.evidence")):
            _obj(item, f"{where}.evidence[{index}]")


def _compat(value: object, where: str) -> None:
    data = _obj(value, where)
    _str(_required(data, "profile", where), f"{where}.profile")
    _enum(_required(data, "verdict", where), CompatVerdict, f"{where}.verdict")
    if "phase" in data:
        _str(data["phase"], f"{where}.phase", nullable=True)
    if "remediation" in data:
        _strings(data["remediation"], f"{where}.remediation")
    for index, item in enumerate(_list(data.get("reasons", []), f"{where}.reasons")):
        at = f"{where}.reasons[{index}]"
        reason = _obj(item, at)
        _str(_required(reason, "text", at), f"{at}.text")
        _enum(_required(reason, "attribution", at), Attribution, f"{at}.attribution")
        if "sources" in reason:
            _strings(reason["sources"], f"{at}.sources")
        if "phase" in reason:
            _str(reason["phase"], f"{at}.phase", nullable=True)
        if reason.get("impact") is not None:
            _enum(reason["impact"], CompatVerdict, f"{at}.impact")


def _validate(data: dict[str, object]) -> None:
    tool = _obj(_required(data, "tool", "report"), "report.tool")
    if "version" in tool:
        _str(tool["version"], "report.tool.version")
    target = _obj(_required(data, "target", "report"), "report.target")
    if "url" in target:
        _str(target["url"], "report.target.url")
    if "spec_revision" in target:
        _str(target["spec_revision"], "report.target.spec_revision", nullable=True)
    _str(_required(data, "started_at", "report"), "report.started_at")
    _number(_required(data, "duration_s", "report"), "report.duration_s")
    _number(_required(data, "seed", "report"), "report.seed", integer=True)
    for index, item in enumerate(_list(_required(data, "results", "report"), "report.results")):
        _result(item, f"results[{index}]")
    compatibility = _list(data.get("compatibility", []), "report.compatibility")
    for index, item in enumerate(compatibility):
        _compat(item, f"compatibility[{index}]")


def _read(path: Path) -> object:
    if not path.exists():
        raise ConfigError(f"report file {path} does not exist; {_HINT}.")
    if not path.is_file():
        raise ConfigError(f"report file {path} is not a regular file; {_HINT}.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"report file {path} is not UTF-8 text ({exc.reason}); {_HINT}.") from exc
    except OSError as exc:
        raise ConfigError(f"report file {path} could not be read ({exc.strerror}).") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"report file {path} is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            f"{_HINT}."
        ) from exc


def load_report(path: str | Path) -> Report:
    """Read and validate a report.json; every problem is a `ConfigError` naming the file."""
    path = Path(path)
    raw = _read(path)
    if not isinstance(raw, dict):
        raise ConfigError(
            f"report file {path} is not a {SCHEMA} document: its top level is {_kind(raw)}, "
            "not an object."
        )
    data = {str(k): v for k, v in raw.items()}
    if data.get("schema") != SCHEMA:
        raise ConfigError(
            f"report file {path} is not a {SCHEMA} document (its schema is "
            f"{data.get('schema')!r}); {_HINT}."
        )
    try:
        _validate(data)
        return Report.from_json(data)
    except _Mismatch as exc:
        raise ConfigError(f"report file {path} does not match schema {SCHEMA}: {exc}.") from exc
    except (KeyError, ValueError, TypeError) as exc:  # defence in depth behind _validate
        raise ConfigError(f"report file {path} does not match schema {SCHEMA}: {exc}.") from exc
