"""Spec references as links: `RFC 9728 §3` -> the RFC Editor's section anchor, and so on.

Only references whose document has a stable public address get a link; anything else (a
catalogue note such as `client-quirks: discovery probes`) stays plain text.
"""

from __future__ import annotations

import re

_SECTION = re.compile(r"§\s*([0-9]+(?:\.[0-9]+)*)")
_RFC = re.compile(r"^RFC\s+(\d{3,5})\b")
_MCP = re.compile(r"^MCP\s+(\d{4}-\d\d-\d\d)\s+(.*)$")
_DRAFT = re.compile(r"^(draft-[a-z0-9-]+)")
_CVE = re.compile(r"^(CVE-\d{4}-\d{4,})")
_MCP_BASE = "https://modelcontextprotocol.io/specification"
_MCP_PAGES = (
    ("Authorization", "basic/authorization"),
    ("Transports", "basic/transports"),
    ("Security Best Practices", "basic/security_best_practices"),
)


def _section(ref: str) -> str | None:
    match = _SECTION.search(ref)
    return match.group(1) if match else None


def _mcp(revision: str, rest: str) -> str | None:
    for title, page in _MCP_PAGES:
        if rest.startswith(title):
            return f"{_MCP_BASE}/{revision}/{page}"
    return None


def spec_link(ref: str) -> str | None:
    """The address of the document (and section, when numbered) that `ref` cites, or None."""
    ref = ref.strip()
    section = _section(ref)
    anchor = f"#section-{section}" if section else ""
    if match := _RFC.match(ref):
        return f"https://www.rfc-editor.org/rfc/rfc{match.group(1)}{anchor}"
    if ref.startswith("OAuth 2.1"):
        return f"https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1{anchor}"
    if match := _MCP.match(ref):
        return _mcp(match.group(1), match.group(2))
    if ref.startswith("MCP Security Best Practices"):
        return _mcp("2025-11-25", "Security Best Practices")
    if ref.startswith("OpenID Connect Discovery"):
        return "https://openid.net/specs/openid-connect-discovery-1_0.html"
    if match := _DRAFT.match(ref):
        return f"https://datatracker.ietf.org/doc/html/{match.group(1)}"
    if match := _CVE.match(ref):
        return f"https://www.cve.org/CVERecord?id={match.group(1)}"
    return None
