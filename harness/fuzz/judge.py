"""Pure judgements the areas share: where a redirect may land, and the shape of refusals."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qsl, unquote, urlsplit

_AS_PARAMS = ("code", "state", "iss", "error", "error_description", "error_uri")
_UNRESERVED_ESCAPE = re.compile(
    r"%(?:4[1-9A-F]|5[0-9A]|6[1-9A-F]|7[0-9A]|3[0-9]|2D|2E|5F|7E)", re.I
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _normal_path(path: str) -> str:
    """RFC 3986 §6.2.2.2: escapes of unreserved characters decoded (they are the same URI)."""
    return _UNRESERVED_ESCAPE.sub(lambda m: unquote(m.group(0)), path or "/")


def _is_loopback_literal(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def landing_allowed(landing: str, registered: str) -> bool:
    """Whether a browser sent to `landing` reaches the registered redirect URI: same scheme, host,
    path and query (plus the parameters the authorization server adds, each once), no fragment; no
    userinfo and the same port, except for an http loopback IP literal (RFC 8252 §7.3)."""
    try:
        a, r = urlsplit(landing), urlsplit(registered)
        a_port = a.port or _DEFAULT_PORTS.get(a.scheme.lower())
        r_port = r.port or _DEFAULT_PORTS.get(r.scheme.lower())
    except ValueError:
        return False
    if a.scheme.lower() != r.scheme.lower() or a.fragment:
        return False
    if (a.hostname or "") != (r.hostname or ""):
        return False
    loopback = r.scheme.lower() == "http" and _is_loopback_literal(r.hostname or "")
    # on loopback, userinfo and port change nothing about where the browser lands
    if not loopback and (a_port != r_port or a.username is not None):
        return False
    if _normal_path(a.path) != _normal_path(r.path):
        return False
    rest = parse_qsl(a.query, keep_blank_values=True)
    for key in _AS_PARAMS:
        index = next((i for i, (k, _) in enumerate(rest) if k == key), None)
        if index is not None:
            del rest[index]
    return sorted(rest) == sorted(parse_qsl(r.query, keep_blank_values=True))
