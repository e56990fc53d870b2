"""Every URL the reference target serves, derived once from the bound origins.

Keeping them in one record means the PRM, the metadata, the challenges and the token audience can
never disagree by accident; the defects that make them disagree do it explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from simulators.reference.config import ReferenceConfig

PRM_WELL_KNOWN: Final = "/.well-known/oauth-protected-resource"
RFC8414_WELL_KNOWN: Final = "/.well-known/oauth-authorization-server"
OIDC_WELL_KNOWN: Final = "/.well-known/openid-configuration"
OTHER_RESOURCE_PREFIX: Final = "/other"


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceUrls:
    """One protected MCP resource: its endpoint (which is also its resource identifier)."""

    name: str
    url: str
    path: str
    prm_path: str
    prm_url: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferenceUrls:
    rs_origin: str
    as_origin: str
    issuer_path: str
    main: ResourceUrls
    other: ResourceUrls

    @classmethod
    def build(cls, *, rs_origin: str, as_origin: str, config: ReferenceConfig) -> ReferenceUrls:
        def resource(name: str, path: str) -> ResourceUrls:
            prm_path = PRM_WELL_KNOWN + path
            return ResourceUrls(
                name=name,
                url=rs_origin + path,
                path=path,
                prm_path=prm_path,
                prm_url=rs_origin + prm_path,
            )

        return cls(
            rs_origin=rs_origin,
            as_origin=as_origin,
            issuer_path=config.issuer_path,
            main=resource("main", config.mcp_path),
            other=resource("other", OTHER_RESOURCE_PREFIX + config.mcp_path),
        )

    @property
    def issuer(self) -> str:
        return self.as_origin + self.issuer_path

    @property
    def resources(self) -> tuple[ResourceUrls, ResourceUrls]:
        return (self.main, self.other)

    def resource_urls(self) -> frozenset[str]:
        return frozenset(r.url for r in self.resources)

    def as_path(self, endpoint: str) -> str:
        """Path of an AS endpoint (`authorize`, `token`, ...) under the issuer path."""
        return f"{self.issuer_path}/{endpoint}"

    def as_url(self, endpoint: str) -> str:
        return self.as_origin + self.as_path(endpoint)

    def rfc8414_paths(self) -> tuple[str, ...]:
        return (RFC8414_WELL_KNOWN + self.issuer_path,)

    def oidc_paths(self) -> tuple[str, ...]:
        """The two OIDC discovery locations for a path issuer (one when the path is empty)."""
        inserted = OIDC_WELL_KNOWN + self.issuer_path
        appended = self.issuer_path + OIDC_WELL_KNOWN
        return (inserted,) if inserted == appended else (inserted, appended)
