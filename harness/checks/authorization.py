"""authz.*: the authorization endpoint — redirect URI matching, state, iss, status, implicit."""

from __future__ import annotations

from harness.checks.base import check
from harness.errors import CheckFailed, NotApplicable
from harness.oauth.authorize import AuthorizationResponse
from harness.probes.authserver.evidence import (
    Mutation,
    RedirectProbes,
    describe_all,
    require_answered,
    require_response,
    require_sanity,
)
from harness.results import Level, Severity

MCP = "MCP 2025-11-25 Authorization"


def _canary_path(ev: RedirectProbes, uri: str | None) -> str | None:
    """The canary path `uri` aims at, or None when it is not on the canary."""
    if uri is None or not uri.startswith(ev.canary_origin + "/"):
        return None
    return uri.split("?", 1)[0].removeprefix(ev.canary_origin)


def _error_paths(ev: RedirectProbes) -> frozenset[str]:
    """The canary paths of the error-redirect sub-cases (judged by authz.error-redirect-safe)."""
    paths = (_canary_path(ev, m.sent_redirect_uri) for m in ev.error_redirects)
    return frozenset(p for p in paths if p is not None)


def _stray_hits(ev: RedirectProbes) -> list[str]:
    """Canary hits other than the registered redirect URI itself and the error sub-cases."""
    own = _canary_path(ev, ev.registered)
    skip = _error_paths(ev) | ({own} if own else set())
    return [h.describe() for h in ev.canary_hits if h.path not in skip]


def _landings(ev: RedirectProbes) -> list[tuple[str, AuthorizationResponse]]:
    """Every authorization response (code or error) delivered to the registered redirect URI."""
    found: list[tuple[str, AuthorizationResponse]] = []
    mutations: list[Mutation] = [*ev.unregistered, *ev.bad_client, *ev.error_redirects]
    mutations.append(ev.implicit)
    if ev.other_port is not None:
        mutations.append(ev.other_port)
    named = [("the unmutated request", ev.sanity.navigation)]
    named += [(m.label, m.navigation) for m in mutations]
    for label, navigation in named:
        response = navigation.response
        if response is None or not (response.code or response.error):
            continue
        if navigation.lands_on(ev.registered) or label == "the unmutated request":
            found.append((label, response))
    return found


@check(
    "authz.redirect.exact",
    level=Level.MUST,
    severity=Severity.CRITICAL,
    refs=("OAuth 2.1 §4.1.1, §2.3.1", "RFC 9700 §4.1.3", f"{MCP} §Open Redirection"),
)
def redirect_exact(ev: RedirectProbes) -> str:
    """An unregistered redirect URI (other path, host, added query, prefix) is never used."""
    reached = [m for m in ev.unregistered if m.reached_sent_uri]
    stray = _stray_hits(ev)
    if reached or stray:
        actual = [m.describe() for m in reached]
        actual += [f"the canary at {ev.canary_origin} was contacted: {h}" for h in stray]
        raise CheckFailed(
            expected="no redirect to a redirect URI that is not registered exactly "
            f"({ev.registered}); the canary never contacted",
            actual="; ".join(actual),
            evidence=[e for m in reached for e in m.exchanges] or ev.exchanges,
        )
    require_sanity(ev.sanity, after="the unregistered redirect URIs")
    require_answered(*(m.navigation for m in ev.unregistered))
    return f"{describe_all(ev.unregistered)}; the canary was never contacted"


@check(
    "authz.redirect.loopback-port",
    level=Level.MUST,
    severity=Severity.MEDIUM,
    refs=("RFC 8252 §7.3", "OAuth 2.1 §4.1.1, §8.4.2"),
)
def redirect_loopback_port(ev: RedirectProbes) -> str:
    """A registered loopback redirect URI with a different port is accepted."""
    mutation = ev.other_port
    if mutation is None:
        raise NotApplicable(
            f"the client's redirect URI {ev.registered} is not an http loopback IP URI; "
            "configure a [client] with one (or let the harness register by DCR)"
        )
    if mutation.reached_sent_uri and mutation.navigation.code is not None:
        return f"a code was delivered to {mutation.sent_redirect_uri}"
    require_sanity(ev.sanity, after="the request on another port")
    require_answered(mutation.navigation)
    raise CheckFailed(
        expected=f"a code delivered to {mutation.sent_redirect_uri} (any port of a registered "
        "loopback redirect URI; native clients listen on a port chosen at run time)",
        actual=mutation.navigation.describe(),
        evidence=mutation.exchanges,
    )


@check(
    "authz.state.echo",
    level=Level.MUST,
    severity=Severity.MEDIUM,
    refs=("OAuth 2.1 §4.1.2", "RFC 6749 §4.1.2"),
)
def state_echo(ev: RedirectProbes) -> str:
    """The state parameter comes back unchanged."""
    response = require_response(ev.sanity)
    if response.state != ev.sent_state:
        actual = "no state" if response.state is None else f"state of {len(response.state)} chars"
        if response.state is not None and response.state != ev.sent_state:
            actual += " that differs from the one sent"
        raise CheckFailed(
            expected=f"the {len(ev.sent_state)}-character state sent, byte for byte",
            actual=actual,
            evidence=ev.sanity.navigation.exchanges,
        )
    return f"a {len(ev.sent_state)}-character state came back unchanged"


@check(
    "authz.iss",
    level=Level.MUST,
    severity=Severity.MEDIUM,
    refs=("RFC 9207 §2", f"{MCP} §Authorization Server Mix-Up"),
)
def iss(ev: RedirectProbes) -> str:
    """When advertised, iss is present in authorization responses and equals the issuer."""
    if ev.iss_supported is not True:
        raise NotApplicable(
            "the authorization server does not advertise "
            "authorization_response_iss_parameter_supported"
        )
    require_response(ev.sanity)
    landings = _landings(ev)
    wrong = [
        f"{label}: {'no iss' if r.iss is None else f'iss={r.iss}'}"
        for label, r in landings
        if r.iss != ev.issuer
    ]
    if wrong:
        raise CheckFailed(
            expected=f"iss={ev.issuer} in every authorization response",
            actual="; ".join(wrong),
            evidence=ev.exchanges,
        )
    kinds = sorted({"success" if r.code else "error" for _, r in landings})
    return f"iss={ev.issuer} in {len(landings)} responses ({' and '.join(kinds)})"


@check(
    "authz.error-redirect-safe",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=("OAuth 2.1 §4.1.2.1", "RFC 9700 §4.11", f"{MCP} §Open Redirection"),
)
def error_redirect_safe(ev: RedirectProbes) -> str:
    """Errors for a bad client or redirect URI are shown, not redirected.

    Also when the request has a second fault (scope, response type, PKCE) that an AS may find
    before it checks the redirect URI: OAuth 2.1 §4.1.2.1 still forbids redirecting there."""
    mutations = (*ev.bad_client, *ev.error_redirects)
    reached = [m for m in mutations if m.reached_sent_uri]
    fetched = [h.describe() for h in ev.canary_hits if h.path in _error_paths(ev)]
    if reached or fetched:
        actual = [m.describe() for m in reached]
        actual += [f"the canary at {ev.canary_origin} was contacted: {h}" for h in fetched]
        raise CheckFailed(
            expected="an error shown by the authorization server, no redirect to a redirect URI "
            "it could not validate, whatever else is wrong with the request",
            actual="; ".join(actual),
            evidence=[e for m in reached for e in m.exchanges] or ev.exchanges,
        )
    require_sanity(ev.sanity, after="the bad client and redirect URIs")
    require_answered(*(m.navigation for m in mutations))
    return describe_all(mutations)


@check(
    "authz.redirect-status",
    level=Level.MUST,
    severity=Severity.MEDIUM,
    refs=("OAuth 2.1 §7.5.3", "RFC 9700 §4.12"),
)
def redirect_status(ev: RedirectProbes) -> str:
    """The authorization response is a 302 or 303, not a 307 or 308."""
    navigations = [
        (label, navigation)
        for label, navigation in [
            ("the unmutated request", ev.sanity.navigation),
            *(
                (m.label, m.navigation)
                for m in (*ev.unregistered, *ev.bad_client, *ev.error_redirects, ev.implicit)
            ),
        ]
        if navigation.status is not None
    ]
    temporary = [(label, n) for label, n in navigations if n.status in {307, 308}]
    # RFC 9700 §4.12: a 307/308 makes the browser re-send a POST body (the login form's
    # credentials) to the client; answering a GET it re-sends nothing, but is still wrong.
    posted = [(label, n) for label, n in temporary if n.answered_method != "GET"]
    if posted:
        raise CheckFailed(
            expected="302 or 303 (a 307 or 308 answering the login or consent form's POST makes "
            "the browser re-send that body, credentials included, to the client)",
            actual="; ".join(
                f"{label}: {n.status} answering a {n.answered_method or 'request'}"
                for label, n in posted
            ),
            evidence=[n.exchanges[-1] for _, n in posted if n.exchanges],
        )
    if temporary:
        raise CheckFailed(
            expected="302 or 303 (OAuth 2.1 §7.5.3; RFC 9700 §4.12 forbids 307/308 where the "
            "request may carry user credentials)",
            actual="; ".join(f"{label}: {n.status} answering a GET" for label, n in temporary)
            + " (no form body is re-sent, but a 307/308 still breaks clients whose redirect "
            "URI only accepts GET once the login is a POST form)",
            evidence=[n.exchanges[-1] for _, n in temporary if n.exchanges],
            should=True,
        )
    require_response(ev.sanity)
    return "status " + ", ".join(sorted({str(n.status) for _, n in navigations}))


@check(
    "authz.no-implicit",
    level=Level.MUST,
    severity=Severity.HIGH,
    refs=("OAuth 2.1 §10.1", "RFC 9700 §2.1.2"),
)
def no_implicit(ev: RedirectProbes) -> str:
    """response_type=token is refused."""
    navigation = ev.implicit.navigation
    response = navigation.response
    if response is not None and "access_token" in response.params:
        raise CheckFailed(
            expected="unsupported_response_type (no token in the front channel)",
            actual="an access token in the authorization response",
            evidence=navigation.exchanges,
        )
    if response is not None and response.code is not None:
        raise CheckFailed(
            expected="unsupported_response_type",
            actual="a code (response_type=token treated as code)",
            evidence=navigation.exchanges,
            should=True,
        )
    require_sanity(ev.sanity, after="response_type=token")
    require_answered(navigation)
    return navigation.describe()


CHECKS = (
    redirect_exact,
    redirect_loopback_port,
    state_echo,
    iss,
    error_redirect_safe,
    redirect_status,
    no_implicit,
)
