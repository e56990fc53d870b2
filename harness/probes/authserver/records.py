"""The records of one authorization code flow, as the probes send and observe it: the request
(which a probe changes one field of), where the authorization server sent the browser, and the
redemption of the code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from harness.http import Exchange, Response
from harness.oauth.authorize import (
    AuthorizationResponse,
    authorization_url,
    parse_authorization_response,
    same_endpoint,
)
from harness.oauth.pkce import Pkce
from harness.oauth.tokens import TokenResponse


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthzRequest:
    """An authorization request; None omits a parameter."""

    client_id: str | None
    redirect_uri: str | None
    pkce: Pkce | None
    state: str | None
    scope: str | None
    resource: str | None
    response_type: str | None = "code"

    def url(self, endpoint: str) -> str:
        return authorization_url(
            endpoint,
            client_id=self.client_id,
            redirect_uri=self.redirect_uri,
            pkce=self.pkce,
            state=self.state,
            scope=self.scope,
            resource=self.resource,
            response_type=self.response_type,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Navigation:
    """Where an authorization request ended: sent to the client (`landing`) or at a page."""

    landing: str | None = field(default=None, repr=False)  # the Location aimed at the client
    status: int | None = None  # the status of that redirect
    page: Response | None = None  # the last response, when the flow stopped without one
    problem: str | None = None
    # the login driver could not get past `page` (not the AS's own error page or status): such a
    # stop is no refusal by the authorization server, so nothing was judged
    login_stuck: bool = False
    exchanges: tuple[Exchange, ...] = ()

    @property
    def answered_method(self) -> str | None:
        """The method of the request the final redirect answered (GET, or POST for a form)."""
        if self.landing is None or not self.exchanges:
            return None
        return self.exchanges[-1].request.method.upper()

    @property
    def response(self) -> AuthorizationResponse | None:
        if self.landing is None or self.status is None:
            return None
        return parse_authorization_response(self.landing, redirect_status=self.status)

    @property
    def code(self) -> str | None:
        response = self.response
        return response.code if response is not None else None

    def lands_on(self, uri: str) -> bool:
        """Whether the redirect went to `uri`: same endpoint, and every query parameter of
        `uri` present (so a URI differing only by an added parameter is told apart)."""
        if self.landing is None:
            return False
        try:
            if not same_endpoint(self.landing, uri):
                return False
        except ValueError:
            return False
        landed = set(parse_qsl(urlsplit(self.landing).query, keep_blank_values=True))
        return set(parse_qsl(urlsplit(uri).query, keep_blank_values=True)) <= landed

    def describe(self) -> str:
        if self.landing is not None:
            response = self.response
            what = "a code" if response and response.code else None
            if response is not None and response.error:
                what = f"error={response.error}"
            where = urlsplit(self.landing)._replace(query="", fragment="").geturl()
            return f"HTTP {self.status} redirect to {where} with {what or 'no code or error'}"
        if self.page is not None:
            return f"{self.page.summary()} (no redirect to the client)"
        return self.problem or "no response"


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowRun:
    """One authorization request and, when it produced a code, the code's redemption."""

    request: AuthzRequest
    navigation: Navigation
    token: TokenResponse | None

    @property
    def ok(self) -> bool:
        return self.token is not None and self.token.tokens is not None

    @property
    def problem(self) -> str:
        if self.token is not None:
            return "" if self.ok else f"the token request was refused ({self.token.error})"
        response = self.navigation.response
        if response is not None and response.error:
            return f"the authorization request was refused (error={response.error})"
        return self.navigation.problem or self.navigation.describe()

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        extra = (self.token.response.exchange,) if self.token is not None else ()
        return (*self.navigation.exchanges, *extra)
