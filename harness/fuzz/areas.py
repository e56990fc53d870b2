"""The stateless areas: each draws one mutation of the happy path, sends it, and judges it.

An area's `execute` returns the properties it judged (a property passes only when exercised) and
raises `PropertyFailed` for a violation, or `NotExercised` when nothing could be judged (the happy
path failed, a value cannot be sent, the registration cap is spent).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import cast
from urllib.parse import parse_qsl, urljoin, urlsplit

from hypothesis import strategies as st

from harness.errors import TargetError
from harness.fuzz import strategies as fs
from harness.fuzz.context import FuzzContext
from harness.fuzz.judge import landing_allowed
from harness.fuzz.properties import (
    REGISTRATION_ERRORS,
    PropertyFailed,
    no_5xx,
    oauth_error_problem,
)
from harness.http import Exchange
from harness.oauth.errors import FlowError
from harness.oauth.pkce import Pkce, PkceMethod
from harness.oauth.registration import register
from harness.oauth.tokens import TOKEN_ERROR_CODES
from harness.oauth.wwwauth import find_bearer, parse_www_authenticate
from harness.probes.authserver.flow import authorization_request, client_origins, navigate
from harness.probes.authserver.records import AuthzRequest, Navigation
from harness.probes.resource.target import McpProbe

Strategy = st.SearchStrategy[fs.Mutation]


class NotExercised(Exception):
    """This example judged nothing (it is discarded, not counted)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Area:
    name: str
    properties: tuple[str, ...]
    strategy: Callable[[FuzzContext], Coroutine[object, object, Strategy]]
    execute: Callable[[FuzzContext, fs.Mutation], Coroutine[object, object, frozenset[str]]]


def _fail(prop: str, message: str, exchanges: tuple[Exchange, ...], m: fs.Mutation) -> None:
    raise PropertyFailed(prop, message, exchanges, kind=m.kind)


def _check_5xx(ctx: FuzzContext, m: fs.Mutation, exchanges: tuple[Exchange, ...]) -> None:
    problem = no_5xx(exchanges)
    if problem and ctx.judged("no-5xx", m.kind):
        _fail("no-5xx", problem, exchanges, m)


# --- authorize --------------------------------------------------------------------------------

_PKCE_REFUSED = {"pkce.challenge-missing", "pkce.method-missing"}
_UNSUPPORTED_METHODS = {"plain", "S512", "SHA256", "", "none", "S256 "}  # `s256`: only a warning


def _response_types() -> Strategy:
    return st.sampled_from(["token", "code token", "code id_token token", "id_token", ""]).map(
        lambda v: fs.Mutation("response_type", "authz.response-type", v)
    )


# a second fault sent with a mutated redirect_uri: an error found before the redirect URI was
# checked must still not be redirected to it (RFC 9700 §4.11.2, OAuth 2.1 §4.1.2.1)
_SECOND_FAULTS = ("scope", "response_type", "code_challenge")


def _with_second_fault(m: fs.Mutation, fault: str) -> fs.Mutation:
    return fs.Mutation(m.field, "redirect.with-error", m.value, {"also": fault, "was": m.kind})


async def _authorize_strategy(ctx: FuzzContext) -> Strategy:
    redirects = fs.redirect_uris(ctx.redirect_uri, attacker=ctx.canary.origin)
    return st.one_of(
        redirects,
        st.builds(_with_second_fault, redirects, st.sampled_from(_SECOND_FAULTS)),
        fs.states(),
        fs.code_challenges(),
        fs.scopes(ctx.setup.scope),
        fs.resources(ctx.setup.resource),
        _response_types(),
    )


def mutated_request(request: AuthzRequest, m: fs.Mutation) -> AuthzRequest:
    """The happy-path authorization request with the one parameter `m` changes."""
    pkce = request.pkce
    if m.field == "code_challenge":
        if m.value is None or pkce is None:
            return dataclasses.replace(request, pkce=None)
        pkce = Pkce(verifier=pkce.verifier, challenge=m.value, method=pkce.method)
        return dataclasses.replace(request, pkce=pkce)
    if m.field == "code_challenge_method" and pkce is not None:
        # the method is sent as drawn, valid or not (None omits it: RFC 7636 defaults to plain)
        method = cast("PkceMethod", m.value)
        return dataclasses.replace(request, pkce=_MethodPkce(pkce, method))
    if m.field in {"redirect_uri", "state", "scope", "resource", "response_type"}:
        changes: dict[str, object] = {m.field: m.value}
        also = m.data.get("also") if isinstance(m.data, dict) else None
        if also == "code_challenge":
            changes["pkce"] = None
        elif also in {"scope", "response_type"}:
            changes[str(also)] = {"scope": "x-fuzz-unknown", "response_type": "x-fuzz"}[str(also)]
        return dataclasses.replace(request, **changes)  # type: ignore[arg-type]
    raise ValueError(f"the authorization request has no parameter {m.field!r}")


def _MethodPkce(pkce: Pkce, method: PkceMethod) -> Pkce:
    return Pkce(verifier=pkce.verifier, challenge=pkce.challenge, method=method)


async def _navigate(ctx: FuzzContext, request: AuthzRequest, *stops: str | None) -> Navigation:
    stop = client_origins(ctx.redirect_uri, ctx.canary.origin, *stops)
    try:
        return await navigate(ctx.run, ctx.setup.authorization_endpoint, request, stop_at=stop)
    except FlowError as exc:
        # a redirect the flow followed to a host that does not answer: that redirect's target
        last = exc.exchanges[-1] if exc.exchanges else None
        if len(exc.exchanges) > 1 and last is not None and last.response is None:
            previous = exc.exchanges[-2]
            location = (
                dict(previous.response.headers).get("location") if previous.response else None
            )
            if location:
                return Navigation(
                    landing=urljoin(previous.request.url, location),
                    status=previous.response.status if previous.response else None,
                    exchanges=exc.exchanges,
                )
        raise NotExercised(str(exc)) from exc


async def _authorize(ctx: FuzzContext, m: fs.Mutation) -> frozenset[str]:
    base = authorization_request(ctx.run, ctx.setup, ctx.client)
    request = mutated_request(base, m)
    hits = len(ctx.canary.hits)
    navigation = await _navigate(ctx, request, m.value if m.field == "redirect_uri" else None)
    exchanges = navigation.exchanges
    judged = {"no-5xx", "redirect-uri-not-fetched"}
    _check_5xx(ctx, m, exchanges)
    if len(ctx.canary.hits) > hits and ctx.judged("redirect-uri-not-fetched", m.kind):
        hit = ctx.canary.hits[-1].describe()
        _fail("redirect-uri-not-fetched", f"the canary was requested ({hit})", exchanges, m)
    # the navigation ended: either at a landing judged below, or refused with no redirect at all
    judged.add("redirect-registered-only")
    landing = navigation.landing
    if landing is None:
        return frozenset(judged)
    fragment = dict(parse_qsl(urlsplit(landing).fragment))
    if m.field == "response_type" and landing_allowed(_unfragmented(landing), ctx.redirect_uri):
        # an implicit response lands on the registered URI with the token in its fragment
        judged.add("no-implicit")
        issued = "access_token" in fragment or (
            navigation.response is not None and "access_token" in navigation.response.params
        )
        if issued and ctx.judged("no-implicit", m.kind):
            _fail(
                "no-implicit", f"response_type={m.value!r} returned an access token", exchanges, m
            )
    where = urlsplit(landing)._replace(query="", fragment="").geturl()
    if m.field == "response_type":  # its fragment is the response (judged above), not the URI
        landing = _unfragmented(landing)
    if not landing_allowed(landing, ctx.redirect_uri) and ctx.judged(
        "redirect-registered-only", m.kind
    ):
        _fail(
            "redirect-registered-only",
            f"HTTP {navigation.status} redirect to {ctx.run.http.vault.redact_url(where)}, which "
            "is not the registered redirect URI",
            exchanges,
            m,
        )
    if not landing_allowed(landing, ctx.redirect_uri):
        return frozenset(judged)
    answer = navigation.response
    if answer is None:
        return frozenset(judged)
    if request.state is not None and (answer.code or answer.error):
        judged.add("state-echo")
        if answer.state != request.state and ctx.judged("state-echo", m.kind):
            got = "no state" if answer.state is None else "a different state"
            _fail("state-echo", f"the authorization response carries {got}", exchanges, m)
    pkce_bad = m.kind in _PKCE_REFUSED or (
        m.field == "code_challenge_method" and m.value in _UNSUPPORTED_METHODS
    )
    if pkce_bad:
        judged.add("pkce-enforced")
        if answer.code and ctx.judged("pkce-enforced", m.kind):
            what = (
                "without code_challenge"
                if m.kind == "pkce.challenge-missing"
                else (
                    f"with code_challenge_method={m.value!r}"
                    if m.value is not None
                    else "without code_challenge_method (plain)"
                )
            )
            _fail("pkce-enforced", f"a code was issued {what}", exchanges, m)
    return frozenset(judged)


def _unfragmented(url: str) -> str:
    return urlsplit(url)._replace(fragment="").geturl()


# --- token ------------------------------------------------------------------------------------


def _codes() -> Strategy:
    edits = st.one_of(
        st.integers(1, 64).map(lambda n: {"op": "truncate", "arg": n}),
        st.integers(0, 64).map(lambda i: {"op": "flip", "arg": i}),
        st.sampled_from(["x", " ", "%00"]).map(lambda s: {"op": "append", "arg": s}),
        st.text(fs.UNRESERVED, max_size=64).map(lambda s: {"op": "replace", "arg": s}),
    )
    return st.one_of(
        st.just(fs.Mutation("code", "code.missing", None)),
        edits.map(lambda e: fs.Mutation("code", "code.edited", None, e)),
    )


async def _token_strategy(ctx: FuzzContext) -> Strategy:
    return st.one_of(
        fs.code_verifiers(),
        _codes(),
        fs.redirect_uris(ctx.redirect_uri, attacker=ctx.canary.origin).map(
            lambda m: fs.Mutation("redirect_uri", "token." + m.kind, m.value)
        ),
        st.just(fs.Mutation("redirect_uri", "token.redirect-missing", None)),
        fs.grant_types(),
        fs.client_auth_variants(ctx.client.client_id),
    )


def _edited(real: str, m: fs.Mutation) -> str | None:
    if isinstance(m.data, dict) and "op" in m.data:
        value = fs.apply_edit(real, cast("dict[str, object]", m.data))
        return None if value == real else value
    return m.value


async def _fresh_code(ctx: FuzzContext) -> tuple[AuthzRequest, str, tuple[Exchange, ...]]:
    request = authorization_request(ctx.run, ctx.setup, ctx.client)
    navigation = await _navigate(ctx, request)
    if navigation.code is None:
        raise NotExercised(f"the happy path gave no code: {navigation.describe()}")
    return request, navigation.code, navigation.exchanges


async def _token(ctx: FuzzContext, m: fs.Mutation) -> frozenset[str]:
    request, code, before = await _fresh_code(ctx)
    verifier = request.pkce.verifier if request.pkce else None
    form: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": request.redirect_uri,
        "code_verifier": verifier,
        "client_id": ctx.client.client_id,
        "resource": request.resource,
    }
    headers = [("accept", "application/json")]
    real = {"code": code, "code_verifier": verifier or ""}.get(m.field)
    if m.field == "authorization":
        headers.append(("authorization", m.value or ""))
    elif real is not None:
        value = _edited(real, m)
        if value is None and m.value is None and m.data is not None:
            raise NotExercised("the edit left the value unchanged")
        form[m.field] = value
    else:
        form[m.field] = m.value
    if any(value is not None and "\x00" in value for value in form.values()):
        raise NotExercised("a NUL cannot be sent in a form")
    sent = {k: v for k, v in form.items() if v is not None}
    ctx.run.http.vault.add(code)
    try:
        response = await ctx.run.http.request(
            "POST", ctx.setup.token_endpoint, form=sent, headers=headers
        )
    except TargetError as exc:
        raise NotExercised(str(exc)) from exc
    exchanges = (*before, response.exchange)
    _check_5xx(ctx, m, exchanges)
    judged = {"no-5xx", "no-token-for-invalid", "error-shape"}
    if response.status == 429:
        raise NotExercised("the token endpoint is rate limiting")
    if response.status == 200 and response.json_str("access_token"):
        if ctx.judged("no-token-for-invalid", m.kind):
            _fail(
                "no-token-for-invalid",
                f"a token was issued with {m.field} mutated ({m.kind})",
                exchanges,
                m,
            )
        return frozenset(judged - {"error-shape"})
    problem = oauth_error_problem(response, TOKEN_ERROR_CODES)
    if problem and response.status < 500 and ctx.judged("error-shape", m.kind):
        _fail("error-shape", problem, exchanges, m)
    return frozenset(judged)


# --- register ---------------------------------------------------------------------------------


async def _register_strategy(ctx: FuzzContext) -> Strategy:
    base: dict[str, object] = {
        "client_name": "mcp-auth-harness fuzz",
        "redirect_uris": [ctx.redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    }
    return fs.dcr_bodies(base, intrusive=ctx.intrusive)


async def _register(ctx: FuzzContext, m: fs.Mutation) -> frozenset[str]:
    endpoint = ctx.setup.registration_endpoint
    if not endpoint:
        raise NotExercised("no registration endpoint")
    if not ctx.registration_room():
        raise NotExercised("the registration cap is spent")
    body = cast("dict[str, object]", m.data)
    try:
        registration = await register(ctx.run.http, endpoint, body)
    except TargetError as exc:
        raise NotExercised(str(exc)) from exc
    response = registration.response
    exchanges = (response.exchange,)
    _check_5xx(ctx, m, exchanges)
    judged = {"no-5xx", "error-shape"}
    if response.status == 429:
        raise NotExercised("the registration endpoint is rate limiting")
    if response.status in {200, 201}:
        ctx.registrations += 1
        if m.kind == "dcr.dangerous-redirect":
            if ctx.judged("dcr-refuses-dangerous", m.kind):
                uris = body.get("redirect_uris")
                _fail(
                    "dcr-refuses-dangerous", f"a client was registered with {uris!r}", exchanges, m
                )
            return frozenset({"no-5xx", "dcr-refuses-dangerous"})
        return frozenset({"no-5xx"})
    if m.kind == "dcr.dangerous-redirect":
        judged.add("dcr-refuses-dangerous")
    problem = oauth_error_problem(response, REGISTRATION_ERRORS)
    if problem and response.status < 500 and ctx.judged("error-shape", m.kind):
        _fail("error-shape", problem, exchanges, m)
    return frozenset(judged)


# --- bearer -----------------------------------------------------------------------------------


async def _bearer_strategy(ctx: FuzzContext) -> Strategy:
    tokens = await ctx.tokens()
    probe = McpProbe(ctx.run)
    sanity = await probe.send(authorization=tokens.authorization)
    if not 200 <= sanity.status < 300:
        raise NotExercised(f"the real token is refused ({sanity.summary()}): nothing to judge")
    return fs.bearer_tokens(tokens.access_token)


def _unsendable(value: str) -> bool:
    return any(c in value for c in "\r\n\x00")


async def _bearer(ctx: FuzzContext, m: fs.Mutation) -> frozenset[str]:
    real = (await ctx.tokens()).access_token
    value = _edited(real, m) if m.field == "token" else None
    if m.field == "token":
        if value is None:
            raise NotExercised("the edit left the token unchanged")
        authorization = f"Bearer {value}"
    else:
        data = cast("dict[str, object]", m.data)
        authorization = fs.apply_edit(real, data)
    if _unsendable(authorization):
        raise NotExercised("a control character cannot be sent in a header")
    ctx.run.http.vault.add(value)
    try:
        response = await McpProbe(ctx.run).send(authorization=authorization)
    except TargetError as exc:
        raise NotExercised(str(exc)) from exc
    exchanges = (response.exchange,)
    _check_5xx(ctx, m, exchanges)
    if 200 <= response.status < 300 and ctx.judged("bearer-refused", m.kind):
        _fail(
            "bearer-refused",
            f"the MCP server answered HTTP {response.status} to a mutated token ({m.kind})",
            exchanges,
            m,
        )
    judged = {"no-5xx", "bearer-refused"}
    if response.status < 500 and not 200 <= response.status < 300:
        judged.add("bearer-error-shape")
        problem = _bearer_problem(response.status, response.header_all("www-authenticate"), m)
        if problem and ctx.judged("bearer-error-shape", m.kind):
            _fail("bearer-error-shape", problem, exchanges, m)
    return frozenset(judged)


def _bearer_problem(status: int, challenges: list[str], m: fs.Mutation) -> str | None:
    if status == 400:
        return None  # a malformed request (RFC 6750 §3.1 invalid_request)
    if status != 401:
        return f"a mutated token got HTTP {status}, not 401"
    bearer = find_bearer(parse_www_authenticate(challenges))
    if bearer is None:
        return "the 401 carries no Bearer challenge"
    if m.field == "token" and bearer.param("error") != "invalid_token":
        return f'the 401 names error={bearer.param("error")!r}, not "invalid_token"'
    return None


AREAS: dict[str, Area] = {
    area.name: area
    for area in (
        Area(
            name="authorize",
            properties=(
                "no-5xx",
                "redirect-registered-only",
                "redirect-uri-not-fetched",
                "state-echo",
                "pkce-enforced",
                "no-implicit",
            ),
            strategy=_authorize_strategy,
            execute=_authorize,
        ),
        Area(
            name="token",
            properties=("no-5xx", "no-token-for-invalid", "error-shape"),
            strategy=_token_strategy,
            execute=_token,
        ),
        Area(
            name="register",
            properties=("no-5xx", "dcr-refuses-dangerous", "error-shape"),
            strategy=_register_strategy,
            execute=_register,
        ),
        Area(
            name="bearer",
            properties=("no-5xx", "bearer-refused", "bearer-error-shape"),
            strategy=_bearer_strategy,
            execute=_bearer,
        ),
    )
}
