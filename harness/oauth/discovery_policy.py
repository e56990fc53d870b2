"""The knobs in which real clients' discovery differs; defaults are MCP 2025-11-25."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from harness.oauth.wellknown import ResourceMatch


class DiscoveryMode(StrEnum):
    PRM = "prm"  # 2025-06-18 and later: RFC 9728, then RFC 8414 / OIDC
    LEGACY = "legacy"  # 2025-03-26: AS metadata at the MCP origin, default endpoints


class PrmLocation(StrEnum):
    PATH = "path"  # /.well-known/oauth-protected-resource/<path>
    ROOT = "root"  # /.well-known/oauth-protected-resource


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscoveryPolicy:
    """How a client discovers; defaults are MCP 2025-11-25."""

    mode: DiscoveryMode = DiscoveryMode.PRM
    use_challenge_resource_metadata: bool = True
    well_known_after_challenge: bool = False  # spec: well-knowns only when the header has no URL
    prm_locations: tuple[PrmLocation, ...] = (PrmLocation.PATH, PrmLocation.ROOT)
    oidc: bool = True  # False: RFC 8414 only (2025-06-18)
    miss_statuses: frozenset[int] = frozenset(range(400, 500))  # "try the next URL"
    unusable_is_miss: bool = True  # a 200 that is no usable document: try the next URL
    resource_match: ResourceMatch = ResourceMatch.EXACT
    require_issuer_match: bool = True
    max_authorization_servers: int = 3
    legacy_default_endpoints: bool = True
    max_redirects: int = 3
    headers: tuple[tuple[str, str], ...] = ()  # e.g. MCP-Protocol-Version during discovery


# Each revision's discovery as written in its spec (frozen records, not mutable state).
SPEC_2025_03_26 = DiscoveryPolicy(mode=DiscoveryMode.LEGACY)
SPEC_2025_06_18 = DiscoveryPolicy(prm_locations=(), oidc=False)
SPEC_2025_11_25 = DiscoveryPolicy()
SPEC_2026_07_28 = DiscoveryPolicy()
