"""A tolerant parser for `WWW-Authenticate` (RFC 9110 §11.6.1).

    WWW-Authenticate = #challenge
    challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
    auth-param       = token BWS "=" BWS ( token / quoted-string )

Several header fields, several challenges in one field, quoted strings with escapes and commas,
token68 credentials, odd whitespace and letter case are all handled. The parser never raises: a
target's malformed header yields whatever could be read, because the header itself is evidence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

_WHITESPACE = " \t\r\n"
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_TOKEN68 = re.compile(r"[A-Za-z0-9._~+/-]+=*")
_BARE_VALUE = re.compile(r"[^,\s]+")  # lenient: unquoted values with '/' or ':' (URLs) occur


@dataclass(frozen=True, slots=True, kw_only=True)
class Challenge:
    """One challenge: the scheme as sent, params with lowercased names (first occurrence wins)."""

    scheme: str
    params: Mapping[str, str] = field(default_factory=dict)
    token68: str | None = None
    duplicate_params: tuple[str, ...] = ()

    def param(self, name: str) -> str | None:
        return self.params.get(name.lower())

    @property
    def scopes(self) -> tuple[str, ...] | None:
        """The space-separated `scope` parameter (RFC 6750 §3), or None when absent."""
        scope = self.params.get("scope")
        return None if scope is None else tuple(scope.split())


def parse_www_authenticate(values: Sequence[str]) -> tuple[Challenge, ...]:
    """Every challenge in every field value, in order."""
    challenges: list[Challenge] = []
    for value in values:
        challenges.extend(_Parser(value).challenges())
    return tuple(challenges)


def find_bearer(challenges: Sequence[Challenge]) -> Challenge | None:
    """The first challenge whose scheme is `Bearer` in any letter case."""
    return next((c for c in challenges if c.scheme.lower() == "bearer"), None)


class _Builder:
    def __init__(self, scheme: str) -> None:
        self.scheme = scheme
        self.params: dict[str, str] = {}
        self.duplicates: list[str] = []
        self.token68: str | None = None

    def add(self, name: str, value: str) -> None:
        key = name.lower()
        if key in self.params:
            self.duplicates.append(key)
        else:
            self.params[key] = value

    def build(self) -> Challenge:
        return Challenge(
            scheme=self.scheme,
            params=self.params,
            token68=self.token68,
            duplicate_params=tuple(self.duplicates),
        )


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def challenges(self) -> list[Challenge]:
        out: list[_Builder] = []
        while True:
            self._skip(_WHITESPACE + ",")
            if self.pos >= len(self.text):
                break
            token = self._match(_TOKEN)
            if token is None:
                self.pos += 1  # a stray character: skip it and resynchronise
                continue
            self._skip(_WHITESPACE)
            if self._peek() == "=" and out:
                self.pos += 1
                out[-1].add(token, self._value())
            elif self._peek() == "=":
                self.pos += 1
                self._value()  # a parameter before any scheme: nothing to attach it to
            else:
                builder = _Builder(token)
                builder.token68 = self._token68()
                out.append(builder)
        return [b.build() for b in out]

    def _token68(self) -> str | None:
        match = _TOKEN68.match(self.text, self.pos)
        if match is None:
            return None
        end = match.end()
        rest = self.text[end:].lstrip(_WHITESPACE)
        if rest and not rest.startswith(","):
            return None  # it was the name of an auth-param (`realm=...`), not a token68
        self.pos = end
        return match.group(0)

    def _value(self) -> str:
        self._skip(_WHITESPACE)
        if self._peek() == '"':
            return self._quoted()
        return self._match(_BARE_VALUE) or ""

    def _quoted(self) -> str:
        self.pos += 1  # the opening quote
        chars: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            self.pos += 1
            if char == "\\" and self.pos < len(self.text):
                chars.append(self.text[self.pos])
                self.pos += 1
            elif char == '"':
                break
            else:
                chars.append(char)
        return "".join(chars)  # an unterminated string takes the rest of the field

    def _match(self, pattern: re.Pattern[str]) -> str | None:
        match = pattern.match(self.text, self.pos)
        if match is None:
            return None
        self.pos = match.end()
        return match.group(0)

    def _skip(self, chars: str) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in chars:
            self.pos += 1

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""
