"""Configuration of the reference target: what to serve and which users exist.

Everything here is immutable so one config can be shared by several servers and threads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from simulators.reference.defects import Defect, parse_defects

#: The demo resource owners and their passwords (the form login checks these).
USERS: Final[Mapping[str, str]] = MappingProxyType(
    {"alice": "alice-password", "bob": "bob-password"}
)

#: The user picked when `login="auto"` and no `login_hint` names another one.
DEFAULT_USER: Final = "alice"

READ_SCOPE: Final = "notes:read"
WRITE_SCOPE: Final = "notes:write"
SCOPES: Final = (READ_SCOPE, WRITE_SCOPE)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferenceConfig:
    """How one reference server behaves. The default is correct per MCP 2025-11-25."""

    defects: frozenset[Defect] = frozenset()  # Defect members or their names
    access_token_ttl: int = 3600
    refresh_token_ttl: int = 86400
    login: Literal["auto", "form"] = "auto"
    issuer_path: str = ""
    separate_as: bool = False
    oidc_only: bool = False
    #: openid-configuration as bare RFC 8414 metadata: no jwks_uri nor the other fields OpenID
    #: Connect Discovery requires (valid RFC 8414; some clients reject it, observed 2026-12-02)
    oidc_minimal: bool = False
    token_format: Literal["jwt", "opaque"] = "jwt"
    sse_responses: bool = False
    mcp_path: str = "/mcp"
    upstream_url: str | None = None  # the upstream API the `fetch_upstream` tool calls
    #: accept URL client ids naming a client metadata document (CIMD; loopback documents only)
    client_id_metadata_documents: bool = True
    #: offer dynamic client registration (RFC 7591); without it clients must be pre-registered
    dynamic_client_registration: bool = True
    #: at most this many registrations per client address an hour, then 429 (as the TS SDK: 20)
    register_rate_limit: int | None = None
    #: at most this many token requests per client address in 15 minutes (as the TS SDK: 50)
    token_rate_limit: int | None = None
    #: serve the stateless 2026-07-28 revision too; False: a spec-correct server of the handshake
    #: revisions only, which answers a 2026-07-28 request 400 (2025-11-25 transports)
    stateless_revision: bool = True

    def __post_init__(self) -> None:
        for name, path in (("issuer_path", self.issuer_path), ("mcp_path", self.mcp_path)):
            if path and (not path.startswith("/") or path.endswith("/")):
                raise ValueError(f"{name} must start with '/' and not end with '/' (got {path!r}).")
        if not self.mcp_path:
            raise ValueError("mcp_path must not be empty; use e.g. '/mcp'.")
        # plain names ("pkce-optional") are accepted too; unknown ones list the valid names
        object.__setattr__(self, "defects", parse_defects(self.defects))

    def has(self, defect: Defect) -> bool:
        """Whether this server carries `defect` (reads better than a set test at call sites)."""
        return defect in self.defects
