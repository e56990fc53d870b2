"""Evidence records produced by the probes and judged by the checks.

Records hold parsed facts plus the exchanges behind them; they carry no behaviour beyond small
derived views, so checks stay pure functions of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from harness.http import Exchange, Response
from harness.oauth.metadata import (
    AuthServerMetadata,
    DocumentFetch,
    ProtectedResourceMetadata,
    parse_as_metadata,
    parse_prm,
)
from harness.oauth.wwwauth import Challenge, find_bearer

DocumentSource = Literal["header", "path", "root", "oauth", "oidc", "bogus"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentProbe:
    """One fetch of a metadata URL, and where the URL came from."""

    source: DocumentSource
    url: str
    fetch: DocumentFetch | None
    error: str | None = None  # the transport failure, when there is no response
    failed: tuple[Exchange, ...] = ()  # its exchanges

    @property
    def served(self) -> bool:
        return self.fetch is not None and self.fetch.document is not None

    @property
    def document(self) -> Mapping[str, object] | None:
        return self.fetch.document if self.fetch is not None else None

    @property
    def response(self) -> Response | None:
        return self.fetch.response if self.fetch is not None else None

    @property
    def problem(self) -> str:
        if self.fetch is None:
            return self.error or "no response"
        return self.fetch.problem or "served"

    @property
    def exchange(self) -> Exchange | None:
        if self.fetch is None:
            return self.failed[-1] if self.failed else None
        return self.fetch.response.exchange


def _exchanges(probes: tuple[DocumentProbe, ...]) -> tuple[Exchange, ...]:
    return tuple(p.exchange for p in probes if p.exchange is not None)


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceDiscovery:
    """The unauthenticated MCP request, its challenge, and every PRM location probed."""

    mcp_url: str
    unauthenticated: Response
    challenges: tuple[Challenge, ...]
    prm_probes: tuple[DocumentProbe, ...]  # header URL first (if any), then path-suffixed, root

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return (self.unauthenticated.exchange, *_exchanges(self.prm_probes))

    @property
    def bearer(self) -> Challenge | None:
        return find_bearer(self.challenges)

    @property
    def chosen(self) -> DocumentProbe | None:
        """The PRM a spec-following client would use: the first one served, in probe order."""
        return next((probe for probe in self.prm_probes if probe.served), None)

    @property
    def prm(self) -> ProtectedResourceMetadata | None:
        chosen = self.chosen
        return parse_prm(chosen.document) if chosen and chosen.document else None

    @property
    def challenged_scope(self) -> str | None:
        bearer = self.bearer
        return bearer.params.get("scope") if bearer is not None else None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthServerDiscovery:
    """Every AS metadata URL of the spec's probe order for the issuer PRM names."""

    issuer: str
    probes: tuple[DocumentProbe, ...]

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return _exchanges(self.probes)

    @property
    def chosen(self) -> DocumentProbe | None:
        return next((probe for probe in self.probes if probe.served), None)

    @property
    def metadata(self) -> AuthServerMetadata | None:
        chosen = self.chosen
        return parse_as_metadata(chosen.document) if chosen and chosen.document else None


@dataclass(frozen=True, slots=True, kw_only=True)
class UnservedUrls:
    """Well-known URLs the server does not (or should not) offer: they must answer a clean 404."""

    probes: tuple[DocumentProbe, ...]

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return _exchanges(self.probes)
