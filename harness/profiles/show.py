"""Profiles as text, for `mcp-auth-harness profiles` and `profiles --show NAME`."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from harness.profiles.model import Knob, Profile, ProfileKind


def listing(profiles: Iterable[Profile]) -> list[str]:
    rows = [(p.name, p.kind.value, p.observed, f"{p.title} ({_count(p)})") for p in profiles]
    width = [max((len(r[i]) for r in rows), default=0) for i in range(3)]
    return [f"{n:<{width[0]}}  {k:<{width[1]}}  {o:<{width[2]}}  {t}" for n, k, o, t in rows]


def _count(profile: Profile) -> str:
    count = len(profile.quirks())
    if profile.kind is ProfileKind.SPEC:
        return f"{count} rules differ from 2025-11-25" if count else "the baseline"
    return f"{count} documented quirk" + ("" if count == 1 else "s")


def show(profile: Profile) -> list[str]:
    lines = [
        f"{profile.name}: {profile.title}",
        f"  client: {profile.client} ({profile.kind.value}), observed {profile.observed}",
        f"  file: {profile.path}",
    ]
    if profile.description:
        lines.append(f"  {profile.description}")
    lines += ["", "knobs (* differs from MCP 2025-11-25):"]
    for path, knob in profile.knobs():
        lines += _knob(path, knob)
    if profile.known_issues:
        lines += ["", "known issues (documented, not simulated):"]
        for issue in profile.known_issues:
            lines.append(f"  {issue.id}: {issue.text}")
            lines.append(f"      observed {issue.observed}; {', '.join(issue.source)}")
            if issue.mitigation:
                lines.append(f"      mitigation: {issue.mitigation}")
    expected = profile.conformance
    lines += ["", "official conformance suite (auth), predicted failures:"]
    lines.append("  " + (", ".join(expected.fails) if expected.fails else "none"))
    if expected.note:
        lines.append(f"  {expected.note}")
    return lines


def _knob(path: str, knob: Knob[object]) -> list[str]:
    mark = "*" if knob.deviates else " "
    lines = [f" {mark} {path} = {_value(knob.value)}"]
    if knob.source:
        lines.append(f"      observed {knob.observed}: {', '.join(knob.source)}")
    if knob.note:
        lines.append(f"      {knob.note}")
    return lines


def _value(value: object) -> str:
    if isinstance(value, StrEnum):
        return value.value or '""'
    if isinstance(value, tuple):
        if value and isinstance(value[0], tuple):
            return "{" + ", ".join(f"{k} = {v}" for k, v in value) + "}"
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, str):
        return repr(value)
    return str(value).lower() if isinstance(value, bool) else str(value)
