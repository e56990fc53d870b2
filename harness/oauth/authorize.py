"""The authorization endpoint: building the request, following it hop by hop, reading the answer.

Every hop goes through the HTTP layer (recorded, egress-checked); redirects are followed here,
never by the client. The flow stops at the first `Location` that points at the redirect URI
(same scheme, host, port and path) and never requests the redirect URI itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from harness.errors import EgressRefused, TargetError
from harness.http import Exchange, HttpClient, Response
from harness.oauth.cookies import CookieJar
from harness.oauth.errors import FlowError
from harness.oauth.login import FormSubmission, LoginDriver
from harness.oauth.pkce import Pkce

_DEFAULT_PORTS = MappingProxyType({"http": 80, "https": 443})


def authorization_url(
    endpoint: str,
    *,
    client_id: str | None,
    redirect_uri: str | None,
    pkce: Pkce | None,
    state: str | None,
    scope: str | None,
    resource: str | None,
    response_type: str | None = "code",
    extra: Mapping[str, str] | Sequence[tuple[str, str]] = (),
) -> str:
    """The authorization request URL; the endpoint's own query is kept. None omits a parameter."""
    parts = urlsplit(endpoint)
    params = parse_qsl(parts.query, keep_blank_values=True)
    candidates: list[tuple[str, str | None]] = [
        ("response_type", response_type),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("scope", scope),
        ("state", state),
        ("code_challenge", pkce.challenge if pkce else None),
        ("code_challenge_method", pkce.method if pkce else None),
        ("resource", resource),
    ]
    params += [(k, v) for k, v in candidates if v is not None]
    params += list(extra.items() if isinstance(extra, Mapping) else extra)
    return urlunsplit(parts._replace(query=urlencode(params)))


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorizationResponse:
    """What came back to the redirect URI (query, or fragment when the query had nothing)."""

    code: str | None = field(repr=False)
    state: str | None
    iss: str | None
    error: str | None
    error_description: str | None
    redirect_status: int  # the 3xx status that delivered it
    location: str = field(repr=False)
    params: Mapping[str, str] = field(repr=False)
    duplicate_params: tuple[str, ...] = ()


def parse_authorization_response(location: str, *, redirect_status: int) -> AuthorizationResponse:
    parts = urlsplit(location)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not any(k in {"code", "error"} for k, _ in pairs) and parts.fragment:
        pairs = parse_qsl(parts.fragment, keep_blank_values=True)
    params: dict[str, str] = {}
    duplicates: list[str] = []
    for key, value in pairs:
        if key in params:
            duplicates.append(key)
        else:
            params[key] = value
    return AuthorizationResponse(
        code=params.get("code"),
        state=params.get("state"),
        iss=params.get("iss"),
        error=params.get("error"),
        error_description=params.get("error_description"),
        redirect_status=redirect_status,
        location=location,
        params=params,
        duplicate_params=tuple(duplicates),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorizationFlow:
    response: AuthorizationResponse | None
    exchanges: tuple[Exchange, ...]
    problem: str | None

    def require_code(self) -> tuple[str, AuthorizationResponse]:
        """The code, or `FlowError` saying why there is none."""
        if self.response is None or self.response.code is None:
            reason = self.problem or (
                f"the authorization response carries error={self.response.error!r}"
                if self.response is not None and self.response.error
                else "the authorization response carries no code"
            )
            raise FlowError("authorize", reason, self.exchanges)
        return self.response.code, self.response


def same_endpoint(url: str, redirect_uri: str) -> bool:
    """Scheme, host, port and path equal (scheme and host case-folded, default ports implied).

    `ValueError` for a URL that cannot be parsed (e.g. a port out of range).
    """
    a, b = urlsplit(url), urlsplit(redirect_uri)
    return (
        a.scheme.lower() == b.scheme.lower()
        and (a.hostname or "") == (b.hostname or "")
        and _port(a.scheme, a.port) == _port(b.scheme, b.port)
        and (a.path or "/") == (b.path or "/")
    )


async def authorize(
    http: HttpClient,
    url: str,
    *,
    redirect_uri: str,
    driver: LoginDriver,
    headers: Sequence[tuple[str, str]] = (),
) -> AuthorizationFlow:
    """Follow the authorization request until the redirect URI is reached (or the flow stops).

    Returns data for everything the server decides (error pages, odd statuses, refused egress);
    raises `FlowError` only when the transport fails mid-flow.
    """
    jar = CookieJar()
    exchanges: list[Exchange] = []
    step = FormSubmission(method="GET", url=url, fields=(), kind="consent")
    logins = 0
    for _ in range(driver.max_hops):
        try:
            response = await _send(http, step, jar, headers)
        except EgressRefused as exc:
            problem = f"refused to follow to {http.vault.redact_url(exc.url)}: {exc.reason}"
            return AuthorizationFlow(response=None, exchanges=tuple(exchanges), problem=problem)
        except TargetError as exc:
            raise FlowError("authorize", str(exc), exchanges) from exc
        exchanges.append(response.exchange)
        jar.store(response)
        if 300 <= response.status < 400:
            location = response.header("location")
            if not location:
                problem = f"HTTP {response.status} without a Location header"
                return AuthorizationFlow(response=None, exchanges=tuple(exchanges), problem=problem)
            try:
                target = urljoin(response.url, location)
                arrived = same_endpoint(target, redirect_uri)
            except ValueError:
                problem = f"HTTP {response.status} with an unparseable Location header"
                return AuthorizationFlow(response=None, exchanges=tuple(exchanges), problem=problem)
            if arrived:
                answer = parse_authorization_response(target, redirect_status=response.status)
                http.vault.add(answer.code)
                return AuthorizationFlow(response=answer, exchanges=tuple(exchanges), problem=None)
            step = FormSubmission(method="GET", url=target, fields=(), kind="consent")
            continue
        if not 200 <= response.status < 300:
            problem = f"the authorization flow stopped at {response.summary()} (no redirect)"
            return AuthorizationFlow(response=None, exchanges=tuple(exchanges), problem=problem)
        next_step = driver.next_submission(response, logins_sent=logins)
        if isinstance(next_step, str):
            return AuthorizationFlow(response=None, exchanges=tuple(exchanges), problem=next_step)
        logins += next_step.kind == "login"
        step = next_step
    problem = f"no redirect to the redirect URI after {driver.max_hops} requests"
    return AuthorizationFlow(response=None, exchanges=tuple(exchanges), problem=problem)


async def _send(
    http: HttpClient, step: FormSubmission, jar: CookieJar, extra: Sequence[tuple[str, str]]
) -> Response:
    for secret in step.secrets:
        http.vault.add(secret, explicit=True)  # typed into a login form
    headers = [("accept", "text/html,application/xhtml+xml,*/*;q=0.8"), *extra]
    cookie = jar.header(step.url)
    if cookie:
        headers.append(("cookie", cookie))
    if step.method == "POST":
        return await http.request("POST", step.url, headers=headers, form=dict(step.fields))
    return await http.request("GET", step.url, headers=headers)


def _port(scheme: str, port: int | None) -> int | None:
    return port if port is not None else _DEFAULT_PORTS.get(scheme.lower())
