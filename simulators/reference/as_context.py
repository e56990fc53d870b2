"""What the authorization server's grants and endpoints share (one instance per server)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from simulators.reference.config import ReferenceConfig
from simulators.reference.keys import SigningKey
from simulators.reference.store import OAuthStore
from simulators.reference.tokens import TokenIssuer
from simulators.reference.urls import ReferenceUrls


@dataclass(frozen=True, slots=True, kw_only=True)
class AsContext:
    config: ReferenceConfig
    urls: ReferenceUrls
    store: OAuthStore
    key: SigningKey
    tokens: TokenIssuer
    #: client id the resource server uses to introspect opaque tokens (RFC 7662 §2.1)
    introspection_client_id: str

    def known_resource(self, uri: str) -> str | None:
        """Our canonical URL for `uri` (scheme and host compared case-insensitively), or None."""
        try:
            parts = urlsplit(uri)
        except ValueError:
            return None
        if parts.fragment or not parts.scheme or not parts.netloc:
            return None
        normalised = parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower())
        candidate = normalised.geturl()
        return candidate if candidate in self.urls.resource_urls() else None
