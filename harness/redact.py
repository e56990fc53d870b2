"""Secrets never leave memory: one place turns them into fingerprints.

A `SecretVault` belongs to one run. Flows and the HTTP layer register every secret they see
(tokens, codes, verifiers, client secrets, passwords, cookies); `redact()` replaces each
occurrence in any text with `sha256:<first 8 hex digits>`. Known secret-bearing fields are
fingerprinted structurally too, and anything shaped like a JWT is fingerprinted even if nobody
registered it.
"""

from __future__ import annotations

import bisect
import hashlib
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SECRET_FIELDS = frozenset(
    {
        "code",
        "code_verifier",
        "client_secret",
        "password",
        "access_token",
        "refresh_token",
        "id_token",
        "token",
        "assertion",
        "subject_token",
        "csrf_token",
        "registration_access_token",
    }
)
_JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
_FINGERPRINT = re.compile(r"^sha256:[0-9a-f]{8}$")
MIN_SECRET_LENGTH = 6  # shorter values would redact ordinary words
MIN_EXPLICIT_LENGTH = 3


def fingerprint(secret: str) -> str:
    """The only form in which a secret may appear in output."""
    return "sha256:" + hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:8]


class SecretVault:
    """The secrets seen during one run, and the redaction that hides them."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()
        # The secrets sorted by length, replaced whole on each add (so `redact` reads one state
        # without the lock): a text is searched only for the secrets that fit in it, with `in`.
        # No pattern is compiled: a run registers hundreds of long tokens, and compiling them
        # cost more than every search.
        self._by_length: tuple[tuple[int, ...], tuple[str, ...]] = ((), ())
        # The same secrets by their first characters: once a run holds thousands (a fuzz run
        # registers every code and token), walking a text's positions beats searching it for each.
        self._by_prefix: dict[str, tuple[str, ...]] = {}
        for secret in secrets:
            self.add(secret, explicit=True)

    def add(self, secret: str | None, *, explicit: bool = False) -> None:
        """Register a secret. Values seen in traffic shorter than MIN_SECRET_LENGTH are ignored
        (they would redact ordinary words); `explicit` ones (passwords from the configuration or
        typed into a login form) are kept down to MIN_EXPLICIT_LENGTH."""
        minimum = MIN_EXPLICIT_LENGTH if explicit else MIN_SECRET_LENGTH
        if not secret or len(secret) < minimum or _FINGERPRINT.match(secret):
            return
        with self._lock:
            if secret not in self._secrets:
                self._secrets.add(secret)
                lengths, ordered = self._by_length
                at = bisect.bisect_right(lengths, len(secret))
                key = secret[:_PREFIX]  # in place: a reader only ever `get`s one whole tuple
                self._by_prefix[key] = (*self._by_prefix.get(key, ()), secret)
                self._by_length = (
                    (*lengths[:at], len(secret), *lengths[at:]),
                    (*ordered[:at], secret, *ordered[at:]),
                )

    def add_fields(self, fields: Mapping[str, object]) -> None:
        """Register the values of secret-bearing fields of a form, query or JSON object."""
        for key, value in fields.items():
            if key.lower() in SECRET_FIELDS and isinstance(value, str):
                self.add(value)

    def __contains__(self, secret: str) -> bool:
        return secret in self._secrets

    def known(self) -> frozenset[str]:
        """Every secret registered so far (for tests proving none reached an output)."""
        with self._lock:
            return frozenset(self._secrets)

    def redact(self, text: str) -> str:
        """Every registered secret in `text` fingerprinted (leftmost-longest match, as a single
        alternation would), then anything shaped like a JWT."""
        lengths, ordered = self._by_length
        fits = bisect.bisect_right(lengths, len(text))
        if fits * (40 + len(text) // 5) > 70 * len(text):  # rough ns of each way (see __init__)
            spans = _indexed_spans(self._by_prefix, text)
        else:
            spans = [span for s in ordered[:fits] if s in text for span in _occurrences(s, text)]
        if spans:
            spans.sort(key=lambda span: (span[0], -span[1]))
            out, position = [], 0
            for start, end in spans:
                if start >= position:
                    out += [text[position:start], fingerprint(text[start:end])]
                    position = end
            out.append(text[position:])
            text = "".join(out)
        return _JWT_SHAPE.sub(lambda m: fingerprint(m.group(0)), text)

    def redact_url(self, url: str) -> str:
        parts = urlsplit(url)
        if not parts.query:
            return self.redact(url)
        query = [
            (k, fingerprint_field(k, v)) for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
        return self.redact(urlunsplit(parts._replace(query=urlencode(query, safe=":/"))))

    def redact_header(self, name: str, value: str) -> str:
        lowered = name.lower()
        if lowered in {"authorization", "proxy-authorization"}:
            scheme, _, credentials = value.partition(" ")
            if not credentials:
                return fingerprint(value) if value else value
            return f"{scheme} {fingerprint(credentials.strip())}" if credentials.strip() else value
        if lowered in {"cookie", "set-cookie"}:
            return _redact_cookie(value)
        if lowered == "mcp-session-id":
            return fingerprint(value) if value else value
        if lowered == "location":
            return self.redact_url(value)
        return self.redact(value)


_PREFIX = MIN_EXPLICIT_LENGTH


def _indexed_spans(by_prefix: Mapping[str, tuple[str, ...]], text: str) -> list[tuple[int, int]]:
    """Every span of every secret in `text`, found from each position's first characters."""
    spans = []
    for i in range(len(text) - _PREFIX + 1):
        bucket = by_prefix.get(text[i : i + _PREFIX])
        if bucket:
            spans += [(i, i + len(s)) for s in bucket if text.startswith(s, i)]
    return spans


def _occurrences(secret: str, text: str) -> Iterator[tuple[int, int]]:
    """Every span of `secret` in `text`, overlapping ones too (the longest-first choice among
    them is the caller's)."""
    start = text.find(secret)
    while start >= 0:
        yield start, start + len(secret)
        start = text.find(secret, start + 1)


def fingerprint_field(key: str, value: str) -> str:
    """The value of a form or query field, fingerprinted when the field carries a secret."""
    return fingerprint(value) if key.lower() in SECRET_FIELDS and value else value


def fingerprint_fields(document: object) -> object:
    """A JSON document with the values of secret-bearing fields fingerprinted, at any depth."""
    if isinstance(document, dict):
        return {
            key: fingerprint(value)
            if key.lower() in SECRET_FIELDS and isinstance(value, str) and value
            else fingerprint_fields(value)
            for key, value in document.items()
        }
    if isinstance(document, list):
        return [fingerprint_fields(item) for item in document]
    return document


def _redact_cookie(value: str) -> str:
    redacted = []
    for index, part in enumerate(value.split(";")):
        name, sep, cookie_value = part.partition("=")
        # Set-Cookie's first pair and every Cookie pair carry values; attributes do not.
        if sep and (index == 0 or not _is_cookie_attribute(name)):
            redacted.append(f"{name}={fingerprint(cookie_value.strip())}" if cookie_value else part)
        else:
            redacted.append(part)
    return ";".join(redacted)


def _is_cookie_attribute(name: str) -> bool:
    return name.strip().lower() in {"expires", "max-age", "domain", "path", "samesite", "priority"}
