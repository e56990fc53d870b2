"""The fuzzer's oracles: each property is a named MUST/SHOULD with its spec references, and a
violation raises `PropertyFailed` carrying the exchanges that show it.

Results are named `fuzz.<area>.<property>`; a property passes only when examples exercised it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from harness.http import Exchange, Response
from harness.results import Level, Severity


@dataclass(frozen=True, slots=True, kw_only=True)
class Property:
    id: str
    title: str
    level: Level
    severity: Severity
    refs: tuple[str, ...]


def _p(pid: str, title: str, level: Level, severity: Severity, *refs: str) -> Property:
    return Property(id=pid, title=title, level=level, severity=severity, refs=refs)


M, S = Level.MUST, Level.SHOULD
PROPERTIES: Final = MappingProxyType(
    {
        p.id: p
        for p in (
            _p(
                "no-5xx",
                "No 5xx for any input",
                M,
                Severity.MEDIUM,
                "OAuth 2.1 §3.2.4",
                "OAuth 2.1 §4.1.2.1",
            ),
            _p(
                "error-shape",
                "Errors are JSON objects with a registered code and status",
                M,
                Severity.LOW,
                "RFC 6749 §5.2",
                "OAuth 2.1 §3.2.4",
                "RFC 7591 §3.2.2",
            ),
            _p(
                "bearer-error-shape",
                'A refused token gets 401 with error="invalid_token"',
                S,
                Severity.LOW,
                "RFC 6750 §3",
                "RFC 6750 §3.1",
            ),
            _p(
                "no-token-for-invalid",
                "No token for an invalid token request",
                M,
                Severity.CRITICAL,
                "OAuth 2.1 §4.1.3",
                "RFC 7636 §4.6",
            ),
            _p(
                "redirect-registered-only",
                "No redirect to a URI that was not registered",
                M,
                Severity.CRITICAL,
                "OAuth 2.1 §4.1.1",
                "OAuth 2.1 §2.3.1",
                "RFC 9700 §4.1",
            ),
            _p(
                "redirect-uri-not-fetched",
                "The authorization server never contacts the URI",
                M,
                Severity.HIGH,
                "RFC 9700 §4.1",
            ),
            _p("state-echo", "state comes back unchanged", M, Severity.MEDIUM, "OAuth 2.1 §4.1.2"),
            _p(
                "pkce-enforced",
                "No code without an S256 code_challenge",
                M,
                Severity.HIGH,
                "OAuth 2.1 §4.1.1",
                "RFC 7636 §4.4.1",
                "MCP 2025-11-25 Authorization §PKCE",
            ),
            _p(
                "no-implicit",
                "response_type=token gets no token",
                M,
                Severity.HIGH,
                "OAuth 2.1 §4.1.1",
            ),
            _p(
                "bearer-refused",
                "No 2xx at the MCP server for a mutated token",
                M,
                Severity.CRITICAL,
                "OAuth 2.1 §5.2",
                "MCP 2025-11-25 Authorization §Token Handling",
            ),
            _p(
                "dcr-refuses-dangerous",
                "Dangerous redirect URIs are refused at registration",
                M,
                Severity.HIGH,
                "OAuth 2.1 §2.3.1",
                "RFC 7591 §2",
                "RFC 9700 §4.1",
            ),
            _p(
                "code-once",
                "An authorization code works once",
                M,
                Severity.HIGH,
                "OAuth 2.1 §4.1.3",
                "RFC 9700 §4.5",
            ),
            _p(
                "client-binding",
                "One client's codes and tokens never work for another",
                M,
                Severity.CRITICAL,
                "OAuth 2.1 §4.1.3",
                "OAuth 2.1 §4.3.1",
            ),
            _p(
                "scope-never-widens",
                "Refresh never widens the scope",
                M,
                Severity.HIGH,
                "OAuth 2.1 §4.3.1",
                "RFC 6749 §6",
            ),
            _p(
                "revoked-dead",
                "A revoked token is dead",
                M,
                Severity.HIGH,
                "RFC 7009 §2.1",
                "OAuth 2.1 §5.2",
            ),
            _p(
                "refresh-rotation",
                "A rotated-out refresh token is dead",
                M,
                Severity.HIGH,
                "OAuth 2.1 §4.3.1",
                "RFC 9700 §4.14.2",
            ),
        )
    }
)
del M, S


class PropertyFailed(Exception):
    """A violated property: what was expected, what happened, and the exchanges showing it."""

    def __init__(
        self,
        prop: str,
        message: str,
        exchanges: Sequence[Exchange],
        *,
        kind: str = "",
        steps: Sequence[dict[str, object]] = (),
    ) -> None:
        super().__init__(f"{prop}: {message}")
        self.prop = prop
        self.message = message
        self.exchanges = tuple(exchanges)
        self.kind = kind
        self.steps = tuple(steps)  # the state machine's rules up to the violation


REGISTRATION_ERRORS: Final = frozenset(
    {
        "invalid_redirect_uri",
        "invalid_client_metadata",
        "invalid_software_statement",
        "unapproved_software_statement",
        "invalid_request",
    }
)


def no_5xx(exchanges: Sequence[Exchange]) -> str | None:
    for exchange in exchanges:
        if exchange.response is not None and exchange.response.status >= 500:
            return f"{exchange.request.method} answered HTTP {exchange.response.status}"
    return None


def oauth_error_problem(response: Response, codes: frozenset[str]) -> str | None:
    """Why an error response is not shaped as RFC 6749 §5.2 / RFC 7591 §3.2.2 ask, or None."""
    if response.status not in {400, 401}:
        return f"an error answered HTTP {response.status}, not 400 (or 401 for invalid_client)"
    document = response.json_object()
    if "json" not in response.content_type or document is None:
        return f"the error is {response.content_type or 'untyped'}, not a JSON object"
    error = document.get("error")
    if not isinstance(error, str) or error not in codes:
        return f"error={error!r} is not a registered error code"
    if response.status == 401 and error != "invalid_client":
        return f"HTTP 401 with error={error} (401 is for invalid_client)"
    return None
