"""Observed traffic: recorded exchanges read as what a client did (pure, no HTTP).

The proxy records real clients' traffic as redacted `Exchange`s; this module reads them back:
which exchange is an MCP request, a metadata fetch, an authorization or token request, which
bearer (fingerprint) it carried, which tokens a response issued, and what a challenge said.
Everything here works on the redacted form: fingerprints stand for secrets, and the fields the
judgements need (`code_challenge_method`, `state`, `resource`, `scope`, `grant_type`, the
JSON-RPC method and `clientInfo`) are not secrets, so they survive redaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from harness.exchange import Exchange
from harness.oauth.wellknown import OAUTH_WELL_KNOWN, OIDC_WELL_KNOWN, PRM_WELL_KNOWN
from harness.oauth.wwwauth import Challenge, find_bearer, parse_www_authenticate


class Kind(StrEnum):
    MCP = "mcp"
    PRM = "prm"
    AS_METADATA = "as-metadata"
    REGISTER = "register"
    AUTHORIZE = "authorize"
    TOKEN = "token"  # noqa: S105 - a kind of request
    OTHER = "other"


@dataclass(frozen=True, slots=True, kw_only=True)
class Observed:
    """One exchange, read."""

    exchange: Exchange
    kind: Kind
    url: str  # without query
    query: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)
    bearer: str | None = None  # the fingerprint the Authorization header carried
    rpc_method: str | None = None
    client_info: str | None = None
    user_agent: str | None = None
    document: dict[str, object] | None = None  # the response's JSON object, if any

    @property
    def status(self) -> int | None:
        response = self.exchange.response
        return None if response is None else response.status

    @property
    def at(self) -> float | None:
        return self.exchange.at

    def header(self, name: str) -> str | None:
        response = self.exchange.response
        if response is None:
            return None
        return next((v for k, v in response.headers if k.lower() == name.lower()), None)

    def challenge(self) -> Challenge | None:
        response = self.exchange.response
        if response is None:
            return None
        values = [v for k, v in response.headers if k.lower() == "www-authenticate"]
        return find_bearer(parse_www_authenticate(values))

    def issued(self, name: str) -> str | None:
        """The fingerprint of a token this (token) response issued, e.g. `access_token`."""
        value = (self.document or {}).get(name) if self.status == 200 else None
        return value if isinstance(value, str) and value else None

    def strings(self, name: str) -> list[str]:
        """A list-of-strings member of a successful JSON response (`scopes_supported`, …)."""
        value = (self.document or {}).get(name) if self.ok else None
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def describe(self) -> str:
        what = self.rpc_method or self.form.get("grant_type") or self.kind.value
        return f"{self.exchange.request.method} {self.url} ({what}) -> {self.status}"


def read(exchanges: list[Exchange] | tuple[Exchange, ...]) -> tuple[Observed, ...]:
    """Every exchange read, in the order the requests were sent: by `at` (the send time) when
    every exchange carries one (the proxy records in completion order, so a long SSE GET or a
    slow /token lands late), else in the order given."""
    mcp_urls = {
        _strip(e.request.url)
        for e in exchanges
        if e.request.method == "POST" and _rpc(e.request.body_excerpt)[0] is not None
    }
    timed = [e.at for e in exchanges if e.at is not None]
    ordered = (
        sorted(exchanges, key=lambda e: e.at or 0.0)  # stable: ties keep their order
        if len(timed) == len(exchanges)
        else exchanges
    )
    return tuple(_read(e, mcp_urls) for e in ordered)


def _read(exchange: Exchange, mcp_urls: set[str]) -> Observed:
    request = exchange.request
    url = _strip(request.url)
    query = dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))
    content_type = _header(request.headers, "content-type") or ""
    form = (
        dict(parse_qsl(request.body_excerpt, keep_blank_values=True))
        if "x-www-form-urlencoded" in content_type
        else {}
    )
    rpc_method, client_info = _rpc(request.body_excerpt)
    path = urlsplit(url).path
    kind = Kind.OTHER
    if rpc_method is not None or url in mcp_urls:
        kind = Kind.MCP
    elif path.startswith(PRM_WELL_KNOWN):
        kind = Kind.PRM
    elif OAUTH_WELL_KNOWN in path or OIDC_WELL_KNOWN in path:
        kind = Kind.AS_METADATA
    elif "response_type" in query or "response_type" in form:
        kind = Kind.AUTHORIZE
    elif request.method == "POST" and "grant_type" in form:
        kind = Kind.TOKEN
    elif request.method == "POST" and '"redirect_uris"' in request.body_excerpt:
        kind = Kind.REGISTER
    authorization = _header(request.headers, "authorization") or ""
    scheme, _, credentials = authorization.partition(" ")
    return Observed(
        exchange=exchange,
        kind=kind,
        url=url,
        query=query,
        form=form,
        bearer=credentials.strip() or None if scheme.lower() == "bearer" else None,
        rpc_method=rpc_method,
        client_info=client_info,
        user_agent=_header(request.headers, "user-agent"),
        document=_document(exchange),
    )


def _strip(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, "", ""))


def _header(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name), None)


def _rpc(body: str) -> tuple[str | None, str | None]:
    """The JSON-RPC method of a request body (the first of a batch) and initialize's clientInfo."""
    try:
        parsed = json.loads(body) if body.lstrip().startswith(("{", "[")) else None
    except ValueError:
        return None, None
    message = parsed[0] if isinstance(parsed, list) and parsed else parsed
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        return None, None
    method = message.get("method")
    params = message.get("params")
    info = params.get("clientInfo") if isinstance(params, dict) else None
    name = info.get("name") if isinstance(info, dict) else None
    return (
        method if isinstance(method, str) else "(response)",
        name if isinstance(name, str) and name else None,
    )


def _document(exchange: Exchange) -> dict[str, object] | None:
    response = exchange.response
    if response is None or not response.body_excerpt.lstrip().startswith("{"):
        return None
    try:
        parsed = json.loads(response.body_excerpt)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


@dataclass(frozen=True, slots=True, kw_only=True)
class ObservedClient:
    """The traffic of one client, in the order it was sent: the evidence of the client.* checks."""

    name: str  # the initialize request's clientInfo name, else the User-Agent
    observed: tuple[Observed, ...]

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return tuple(o.exchange for o in self.observed)

    @property
    def profile(self) -> str:
        return f"observed:{self.name}"

    def of(self, *kinds: Kind) -> list[Observed]:
        return [o for o in self.observed if o.kind in kinds]

    def after(self, first: Observed) -> list[Observed]:
        return list(self.observed[_position(self.observed, first) + 1 :])

    def before(self, last: Observed) -> list[Observed]:
        return list(self.observed[: _position(self.observed, last)])


def _position(items: tuple[Observed, ...] | list[Observed], item: Observed) -> int:
    """Where `item` itself is (two identical requests are equal, but not the same one)."""
    return next(i for i, o in enumerate(items) if o is item)


def upto(items: list[Observed], last: Observed) -> list[Observed]:
    """`items` up to and including `last` itself."""
    return items[: _position(items, last) + 1]


def shown(items: list[Observed]) -> tuple[Exchange, ...]:
    """The exchanges of `items`: a judgement's evidence."""
    return tuple(o.exchange for o in items)


def clients(exchanges: list[Exchange] | tuple[Exchange, ...]) -> tuple[ObservedClient, ...]:
    """The traffic split by client. Exchanges belong together when they share a User-Agent, a
    `client_id`, or a token (one issued in a response, presented in a later request); one
    without a User-Agent belongs with the exchange before it (clients that send none are told
    apart only by their tokens). A group is named after the clientInfo its initialize request
    sent, else its User-Agent."""
    observed = read(exchanges)
    parent = list(range(len(observed)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(observed):
        if index and not item.user_agent:
            parent[root(index)] = root(index - 1)
        for key in _links(item):
            other = first_seen.setdefault(key, index)
            parent[root(index)] = root(other)
    groups: dict[int, list[Observed]] = {}
    for index, item in enumerate(observed):
        groups.setdefault(root(index), []).append(item)
    found: list[ObservedClient] = []
    names: dict[str, int] = {}
    for members in groups.values():
        name = next((o.client_info for o in members if o.client_info), None)
        name = name or next((o.user_agent for o in members if o.user_agent), None) or "unknown"
        names[name] = names.get(name, 0) + 1
        label = name if names[name] == 1 else f"{name}#{names[name]}"
        found.append(ObservedClient(name=label, observed=tuple(members)))
    return tuple(found)


def _links(item: Observed) -> list[tuple[str, str]]:
    """What ties an exchange to others of the same client."""
    links = [("ua", item.user_agent)] if item.user_agent else []
    client_id = item.query.get("client_id") or item.form.get("client_id")
    if item.kind is Kind.REGISTER and item.document:
        issued_id = item.document.get("client_id")
        client_id = issued_id if isinstance(issued_id, str) else client_id
    if client_id:
        links.append(("client", client_id))
    tokens = [item.bearer, item.form.get("refresh_token")]
    tokens += [item.issued("access_token"), item.issued("refresh_token")]
    links += [("token", t) for t in tokens if t]
    return links
