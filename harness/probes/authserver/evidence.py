"""Evidence about the authorization server: registrations, authorization requests changed in one
way each, token and refresh requests, and the unmutated flow that ran afterwards (the sanity
step that shows a refusal was the server's judgement, not a broken login or a rate limit).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from harness.errors import NotApplicable, TargetError
from harness.http import Exchange, Response
from harness.oauth.authorize import AuthorizationResponse
from harness.oauth.registration import ClientCredentials, Registration
from harness.oauth.tokens import TokenResponse, TokenSet
from harness.probes.authserver.canary import Hit
from harness.probes.authserver.records import FlowRun, Navigation
from harness.probes.resource.evidence import Attempt


def gather_exchanges(*parts: object) -> tuple[Exchange, ...]:
    """The exchanges of every record, response or exchange given (None is skipped)."""
    found: list[Exchange] = []
    for part in parts:
        if part is None:
            continue
        if isinstance(part, Exchange):
            found.append(part)
        elif isinstance(part, TokenResponse | Registration):
            found.append(part.response.exchange)
        elif isinstance(part, Attempt):
            found += [part.exchange] if part.exchange is not None else []
        elif isinstance(part, tuple | list):
            found += gather_exchanges(*part)
        else:
            found += getattr(part, "exchanges", ())
    return tuple(found)


BUSY_STATUSES = frozenset({429, 503})


def _require_not_busy(*answers: Response | Navigation | TokenResponse | None) -> None:
    for answer in answers:
        if isinstance(answer, Navigation):
            answer = answer.page
        elif isinstance(answer, TokenResponse):
            answer = answer.response
        if answer is not None and answer.status in BUSY_STATUSES:
            raise TargetError(
                f"{answer.exchange.summary()}: the server is rate limiting or unavailable, so "
                "the refusal proves nothing; rerun later"
            )


def require_answered(*answers: Response | Navigation | TokenResponse | None) -> None:
    """A refusal by rate limit or overload is no refusal: such a result is `error`, never a pass.

    Nor is a navigation the login driver could not continue (a page it cannot get past, not an
    error page or status of the authorization server): what the request would have led to was
    never seen.
    """
    _require_not_busy(*answers)
    for answer in answers:
        if isinstance(answer, Navigation) and answer.login_stuck:
            raise TargetError(
                f"the harness's login could not proceed ({answer.problem}), so the outcome of "
                "the request is unknown; it is no refusal by the authorization server"
            )


def _login_stuck(flow: FlowRun) -> bool:
    navigation = flow.navigation
    return navigation.login_stuck and navigation.landing is None


def require_flow(flow: FlowRun, failure: str) -> TokenSet:
    """An unmutated flow the check relies on must have worked.

    When the harness cannot get past the login page at all, that is its configuration (`skip`,
    saying how to fix it); a rate limit or any other failure is `error`, never a verdict.
    """
    _require_not_busy(flow.navigation, flow.token)
    if flow.token is not None and flow.token.tokens is not None:
        return flow.token.tokens
    if _login_stuck(flow):
        raise NotApplicable(
            f"the harness could not complete an unmutated authorization ({flow.problem}); "
            "set [login] (mode = form, username, password) so it can log in"
        )
    raise TargetError(f"{failure}: {flow.problem}", flow.exchanges)  # the cause, not the mutants


def require_judged(attempt: Attempt | None, what: str) -> Attempt:
    """An MCP request whose answer says something about the token: a rate limit, a server error
    or a transport failure is no verdict on the token (`error`, never a finding or a pass)."""
    if attempt is None:
        raise TargetError(f"{what} was never presented to the MCP server")
    status = attempt.status
    if status is None or status == 429 or status >= 500:
        raise TargetError(
            f"{attempt.describe()}: the MCP server did not judge the token (rate limit, server "
            "error or transport failure), so this proves nothing; rerun later"
        )
    return attempt


def require_sanity(sanity: FlowRun, *, after: str) -> None:
    """A refusal only counts when the unmutated flow still works afterwards."""
    require_flow(
        sanity,
        f"after {after}, the unmutated flow failed too, so the refusal proves nothing (a broken "
        "login, a lockout or a rate limit?); rerun, or check the [login] settings",
    )


def require_response(flow: FlowRun) -> AuthorizationResponse:
    """What the unmutated authorization request delivered to the client (else skip/error)."""
    response = flow.navigation.response
    if response is None:
        require_flow(flow, "the unmutated authorization request did not reach the redirect URI")
        raise TargetError(f"no authorization response reached the redirect URI: {flow.problem}")
    return response


def require_code(flow: FlowRun, what: str) -> str:
    """The code an unmutated authorization produced, or `NotApplicable` saying why not."""
    code = flow.navigation.code
    if code is None:
        raise NotApplicable(
            f"the unmutated authorization request for {what} produced no code "
            f"({flow.navigation.problem or flow.navigation.describe()})"
        )
    return code


@dataclass(frozen=True, slots=True, kw_only=True)
class Mutation:
    """One authorization request changed in one way, and where it ended."""

    label: str
    sent_redirect_uri: str | None
    navigation: Navigation

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return self.navigation.exchanges

    @property
    def reached_sent_uri(self) -> bool:
        return self.sent_redirect_uri is not None and self.navigation.lands_on(
            self.sent_redirect_uri
        )

    def describe(self) -> str:
        return f"{self.label}: {self.navigation.describe()}"


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistrationAttempt:
    label: str
    redirect_uri: str
    registration: Registration

    @property
    def accepted(self) -> bool:
        return self.registration.credentials is not None

    @property
    def echoed_redirect_uris(self) -> tuple[str, ...] | None:
        document = self.registration.document or {}
        uris = document.get("redirect_uris")
        if not isinstance(uris, list):
            return None
        return tuple(u for u in uris if isinstance(u, str))

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return (self.registration.response.exchange,)


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistrationProbes:
    """Registrations with a bad redirect URI each, then a typical one (the sanity step), then
    one that leaves token_endpoint_auth_method for the server to choose."""

    endpoint: str
    requested_auth_method: str
    bad: tuple[RegistrationAttempt, ...]
    valid: RegistrationAttempt
    omitted: RegistrationAttempt | None = None
    omitted_reason: str | None = None  # why `omitted` was not sent (rate limit, budget)

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return gather_exchanges(self.bad, self.valid, self.omitted)


@dataclass(frozen=True, slots=True, kw_only=True)
class SecondClient:
    """A second client (by DCR) for the binding checks, and its own working flow."""

    client: ClientCredentials | None
    reason: str | None  # why there is no usable second client
    flow: FlowRun | None = None

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return gather_exchanges(self.flow)

    def require(self) -> ClientCredentials:
        if self.client is None:
            raise NotApplicable(self.reason or "no second client")
        return self.client


@dataclass(frozen=True, slots=True, kw_only=True)
class RedirectProbes:
    """Authorization requests with unregistered redirect URIs (alone and with a second fault),
    another loopback port, a bad client and `response_type=token`; a canary at the attacker
    URIs; then the unmutated flow."""

    issuer: str | None
    iss_supported: bool | None
    registered: str
    unregistered: tuple[Mutation, ...]
    other_port: Mutation | None  # None when the redirect URI is not a loopback http URI
    bad_client: tuple[Mutation, ...]
    implicit: Mutation
    canary_origin: str
    canary_hits: tuple[Hit, ...]
    sent_state: str
    sanity: FlowRun
    # an unregistered redirect URI on the canary plus a second fault each (scope, response type,
    # PKCE): an AS that checks those first must still not redirect their error there
    error_redirects: tuple[Mutation, ...] = ()

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return gather_exchanges(
            self.unregistered, self.other_port, self.bad_client, self.error_redirects, self.sanity
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PkceProbes:
    """Authorization and token requests with PKCE taken away or weakened one way each."""

    advertised: tuple[str, ...] | None
    no_challenge: Mutation
    no_challenge_token: TokenResponse | None  # its code redeemed without a verifier
    downgrade: Mutation  # a second request without a challenge …
    downgrade_token: TokenResponse | None  # … whose code is redeemed with a verifier
    plain: Mutation
    wrong_verifier: FlowRun  # an unmutated authorization, redeemed with a wrong verifier
    missing_verifier: FlowRun  # … redeemed without a verifier
    sanity: FlowRun
    confidential_client: bool = False  # the configured [client] has a secret

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return gather_exchanges(self.no_challenge, self.plain, self.sanity)


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenProbes:
    """Codes redeemed twice, by another client, with another redirect_uri; then the sanity."""

    first: FlowRun  # authorization and first redemption
    replay: TokenResponse | None  # the same code again
    after_replay: TokenResponse | None  # the first redemption's refresh token, after the replay
    theft: FlowRun | None  # client A's authorization, redeemed by client B
    owner_after_theft: TokenResponse | None  # A's own redemption afterwards
    second: SecondClient
    redirect_mismatch: FlowRun  # redeemed with another redirect_uri
    sanity: FlowRun

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return gather_exchanges(self.first, self.replay, self.sanity)


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelledToken:
    label: str
    token: TokenResponse


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenErrorProbes:
    """Token requests that must fail: their error responses."""

    attempts: tuple[LabelledToken, ...]

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return tuple(a.token.response.exchange for a in self.attempts)


@dataclass(frozen=True, slots=True, kw_only=True)
class AudienceProbes:
    """A token for the MCP resource, and one requested for another resource, used at it."""

    resource: str
    other: str
    other_source: str
    own: FlowRun
    own_at_resource: Attempt | None
    foreign: FlowRun
    foreign_at_resource: Attempt | None
    foreign_audience: tuple[str, ...] | None  # `aud` of the foreign token when it is a JWT

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return gather_exchanges(self.own, self.own_at_resource, self.foreign)


@dataclass(frozen=True, slots=True, kw_only=True)
class GracePoll:
    after_s: float  # seconds since the refresh token was rotated out
    token: TokenResponse

    @property
    def accepted(self) -> bool:
        return self.token.tokens is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshLifecycle:
    """A public client's refresh token: used, replayed, and the newer one tried afterwards."""

    public_client: bool
    grant: FlowRun
    first: TokenResponse | None  # the refresh grant with the original refresh token
    new_token_at_resource: Attempt | None
    replay: TokenResponse | None  # the original refresh token again, right after
    grace: tuple[GracePoll, ...]  # later replays while it was still accepted
    grace_limit_s: float
    newer_after_replay: TokenResponse | None  # the rotated refresh token after the replay
    offline_access_listed: bool = False  # the AS metadata lists offline_access
    offline_access_requested: bool = False  # … and the grant asked for it

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return gather_exchanges(self.grant, self.first, self.replay)

    @property
    def refresh_token_issued(self) -> bool:
        tokens = self.grant.token.tokens if self.grant.token else None
        return tokens is not None and tokens.refresh_token is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshBinding:
    """Client A's refresh token presented by client B, then by A."""

    grant: FlowRun
    second: SecondClient
    theft: TokenResponse | None
    owner_after: TokenResponse | None

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return gather_exchanges(self.grant, self.theft, self.owner_after)


@dataclass(frozen=True, slots=True, kw_only=True)
class CimdProbes:
    """A client metadata document whose `client_id` is not its URL, then a correct one."""

    document_url: str
    stated_client_id: str
    mismatch: Mutation
    fetched: tuple[Hit, ...]
    sanity: FlowRun

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return gather_exchanges(self.mismatch, self.sanity)


def describe_all(items: Iterable[Mutation]) -> str:
    return "; ".join(m.describe() for m in items)
