"""Where metadata lives: the well-known URLs of RFC 9728, RFC 8414 and OIDC Discovery.

Pure functions over URLs; the probe orders are those of the MCP authorization spec (2025-11-25
and 2026-07-28), plus the origin-root location of 2025-03-26.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit, urlunsplit

PRM_WELL_KNOWN = "/.well-known/oauth-protected-resource"
OAUTH_WELL_KNOWN = "/.well-known/oauth-authorization-server"
OIDC_WELL_KNOWN = "/.well-known/openid-configuration"


class MetadataKind(StrEnum):
    """Which discovery standard a metadata URL belongs to."""

    OAUTH = "oauth"  # RFC 8414
    OIDC = "oidc"  # OpenID Connect Discovery 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class AsMetadataUrl:
    url: str
    kind: MetadataKind
    issuer: str  # the issuer the URL was built from (what the document's `issuer` must equal)


def origin(url: str) -> str:
    """`scheme://host[:port]` with scheme and host lowercased (userinfo dropped, port kept)."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{_host_port(parts.netloc)}"


def canonical_resource_uri(url: str) -> str:
    """The RFC 8707 / MCP canonical form: lowercase scheme and host, no fragment.

    The path (and any query) is kept exactly as given; no trailing slash is added or removed.
    """
    parts = urlsplit(url)
    userinfo, at, _ = parts.netloc.rpartition("@")
    netloc = f"{userinfo}{at}{_host_port(parts.netloc)}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, ""))


def prm_urls(resource_url: str) -> tuple[str, ...]:
    """RFC 9728 §3.1 locations for a resource, in the MCP probe order: path-suffixed, then root.

    The well-known string is inserted between the host and the path, and the path is kept as is
    (`https://h/mcp/` gives `https://h/.well-known/oauth-protected-resource/mcp/`). Query and
    fragment are dropped. A URL without a path (or with just `/`) has only the root location.
    """
    parts = urlsplit(resource_url)
    root = origin(resource_url) + PRM_WELL_KNOWN
    if parts.path in {"", "/"}:
        return (root,)
    return (root + parts.path, root)


def as_metadata_urls(issuer: str, *, oidc: bool = True) -> tuple[AsMetadataUrl, ...]:
    """AS metadata locations for an issuer, in the MCP 2025-11-25 probe order.

    With a path (`https://a/tenant1`): RFC 8414 path-inserted, OIDC path-inserted, OIDC
    path-appended. Without a path: RFC 8414, then OIDC. A terminating `/` of the issuer's path is
    removed first (RFC 8414 §3.1). `oidc=False` keeps only the RFC 8414 location (2025-06-18).
    """
    base = origin(issuer)
    path = urlsplit(issuer).path.rstrip("/")
    oauth = AsMetadataUrl(
        url=base + OAUTH_WELL_KNOWN + path, kind=MetadataKind.OAUTH, issuer=issuer
    )
    if not oidc:
        return (oauth,)
    inserted = AsMetadataUrl(
        url=base + OIDC_WELL_KNOWN + path, kind=MetadataKind.OIDC, issuer=issuer
    )
    if not path:
        return (oauth, inserted)
    appended = AsMetadataUrl(
        url=base + path + OIDC_WELL_KNOWN, kind=MetadataKind.OIDC, issuer=issuer
    )
    return (oauth, inserted, appended)


class ResourceMatch(StrEnum):
    EXACT = "exact"  # RFC 9728 §3.3 (the root document may also name the bare origin)
    PREFIX = "prefix"  # draft-mcguinness-oauth-rfc9728bis: same origin, path prefix
    OFF = "off"


def resource_matches(
    resource: str, mcp_url: str, mode: ResourceMatch, *, root: bool = False
) -> bool:
    """Whether a PRM `resource` describes `mcp_url` under `mode` (scheme and host case-folded)."""
    if mode is ResourceMatch.OFF:
        return True
    have, want = canonical_resource_uri(resource), canonical_resource_uri(mcp_url)
    if have == want:
        return True
    if mode is ResourceMatch.EXACT:
        return root and have in {origin(mcp_url), origin(mcp_url) + "/"}
    if origin(resource) != origin(mcp_url):
        return False
    prefix = urlsplit(have).path.rstrip("/")
    path = urlsplit(want).path
    return path == prefix or path.startswith(prefix + "/")


def legacy_as_metadata_url(mcp_url: str) -> str:
    """2025-03-26: AS metadata at the MCP server's origin root, the path discarded."""
    return origin(mcp_url) + OAUTH_WELL_KNOWN


@dataclass(frozen=True, slots=True, kw_only=True)
class LegacyEndpoints:
    authorization_endpoint: str
    token_endpoint: str
    registration_endpoint: str


def legacy_default_endpoints(mcp_url: str) -> LegacyEndpoints:
    """2025-03-26 fallback without AS metadata: `/authorize`, `/token`, `/register`."""
    base = origin(mcp_url)
    return LegacyEndpoints(
        authorization_endpoint=base + "/authorize",
        token_endpoint=base + "/token",
        registration_endpoint=base + "/register",
    )


def _host_port(netloc: str) -> str:
    host_port = netloc.rpartition("@")[2]
    return host_port.lower()
