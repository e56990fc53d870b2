"""Redirect URI rules: what DCR accepts, and how an authorization request's URI is matched.

Correct behaviour follows OAuth 2.1 §2.3.1/§4.1.1 and RFC 8252 §7: exact string match, except
that a loopback redirect URI may use any port. The defects loosen or tighten exactly one rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final
from urllib.parse import SplitResult, urlsplit

LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1"})
_DANGEROUS_SCHEMES: Final = frozenset(
    {"javascript", "data", "vbscript", "file", "about", "blob", "filesystem"}
)


def _split(uri: str) -> SplitResult | None:
    try:
        parts = urlsplit(uri)
        _ = parts.port  # raises on a malformed port
    except ValueError:
        return None
    return parts


def registration_problem(uri: object) -> str | None:
    """Why `uri` may not be registered as a redirect URI, or None when it is acceptable."""
    if not isinstance(uri, str) or not uri:
        return "redirect URIs must be non-empty strings"
    parts = _split(uri)
    if parts is None or not parts.scheme:
        return "redirect URIs must be absolute URIs"
    if "#" in uri:
        return "redirect URIs must not contain a fragment"
    scheme = parts.scheme.lower()
    if scheme in _DANGEROUS_SCHEMES:
        return f"the {scheme}: scheme is not allowed for redirect URIs"
    if scheme in {"http", "https"}:
        if not parts.hostname or "@" in parts.netloc:
            return "http(s) redirect URIs need a host and no userinfo"
        if scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
            return "http redirect URIs are only allowed for loopback hosts"
    return None


def _is_loopback(parts: SplitResult) -> bool:
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def _without_port(parts: SplitResult) -> str:
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return parts._replace(netloc=host).geturl()


def redirect_matches(
    registered: Sequence[str], requested: str, *, any_loopback_port: bool, prefix: bool
) -> bool:
    """Whether `requested` matches one of the `registered` redirect URIs."""
    candidate = _split(requested)
    if candidate is None:
        return False
    for uri in registered:
        reg = _split(uri)
        if reg is None:
            continue
        if any_loopback_port and _is_loopback(reg) and _is_loopback(candidate):
            left, right = _without_port(reg), _without_port(candidate)
        else:
            left, right = uri, requested
        if right == left or (prefix and right.startswith(left)):
            return True
    return False
