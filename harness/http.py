"""The one HTTP layer.

Every request the harness sends goes through `HttpClient`, which
- records it as a redacted `Exchange` (the evidence checks judge and reports show),
- registers the secrets it carries or receives in the run's `SecretVault`,
- bounds each request by one total timeout (connect, headers, the whole body, SSE streams: a
  server that drips or streams forever is cut off, with what it sent kept as evidence), capped by
  what remains of the run's deadline; after the deadline nothing is sent,
- reads at most `max_body` bytes (a huge document or an endless SSE stream cannot exhaust the run),
- opens a circuit per origin after consecutive timeouts or connection failures (`OriginBreaker`),
- connects only where the `EgressPolicy` permits, checked on the address actually connected to
  (`GuardedBackend`), and never follows redirects by itself (flows follow them hop by hop, so
  every hop is recorded and checked).
- accounts every request in the run's `RequestBudget`, which refuses to send to an endpoint that
  answered 429 (and registrations beyond `--max-registrations`) with a `skip` reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpcore
import httpx

from harness.breaker import OriginBreaker
from harness.budget import RequestBudget, classify
from harness.egress import EgressPolicy, GuardedBackend
from harness.errors import EgressRefused, TargetError
from harness.exchange import Exchange as Exchange  # re-exported: the layer's own record
from harness.exchange import Headers, RecordedRequest, RecordedResponse
from harness.redact import SecretVault, fingerprint_field, fingerprint_fields

log = logging.getLogger(__name__)
# httpx logs each request line (a query may carry `?access_token=`) and httpcore traces raw
# headers (Set-Cookie, Location with `code=`): below WARNING they would put secrets in any debug
# log (pytest --log-level=DEBUG); our own logs say what is needed, with fingerprints.
for _chatty in ("httpx", "httpcore"):
    logging.getLogger(_chatty).setLevel(logging.WARNING)

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_BODY = 1024 * 1024
EXCERPT_CHARS = 2000


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    """What a flow sees: the real body (in memory only) plus the redacted exchange."""

    status: int
    headers: httpx.Headers = field(repr=False)
    body: bytes = field(repr=False)
    url: str
    exchange: Exchange
    truncated: bool = False
    connection: str | None = None  # the local address of the connection that carried it

    def header(self, name: str) -> str | None:
        value: str | None = self.headers.get(name)
        return value

    def header_all(self, name: str) -> list[str]:
        return self.headers.get_list(name)

    @property
    def content_type(self) -> str:
        return (self.headers.get("content-type") or "").split(";")[0].strip().lower()

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> object:
        """The parsed JSON body, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return None

    def json_object(self) -> dict[str, object] | None:
        parsed = self.json()
        return parsed if isinstance(parsed, dict) else None

    def json_str(self, key: str) -> str | None:
        obj = self.json_object()
        value = obj.get(key) if obj else None
        return value if isinstance(value, str) else None

    def summary(self) -> str:
        kind = self.content_type or "no content-type"
        error = self.json_str("error")
        return f"{self.status} {kind}" + (f" error={error}" if error else "")


class Deadline:
    """The run's overall time budget; every request's timeout is capped by what remains."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self._end - time.monotonic()

    @property
    def passed_message(self) -> str:
        return f"the run's deadline ({self.seconds:g} s) passed"


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a connection pool whose every connection goes through the egress
    guard. Only `_pool` is used by `AsyncHTTPTransport`'s methods, so the base `__init__`
    (which would build an unguarded pool) is not called."""

    def __init__(self, policy: EgressPolicy, max_connections: int) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=max_connections,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(policy),
        )


ReadUntil = Callable[[bytes], bool]


class _NeverFollow(httpx.AsyncClient):
    """httpx prepares the next request of every redirect even when it does not follow it, and
    raises on a `Location` it cannot parse (`javascript:…`): the response itself is the
    evidence, so that preparation must never fail."""

    def _build_redirect_request(
        self, request: httpx.Request, response: httpx.Response
    ) -> httpx.Request:
        try:
            return super()._build_redirect_request(request, response)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError):
            return request


class HttpClient:
    """Async HTTP client for one run. Construct with `async with HttpClient(...) as http:`."""

    def __init__(
        self,
        *,
        vault: SecretVault,
        policy: EgressPolicy,
        deadline: Deadline | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_body: int = DEFAULT_MAX_BODY,
        user_agent: str = "mcp-auth-harness",
        max_connections: int = 32,
        budget: RequestBudget | None = None,
        breaker: OriginBreaker | None = None,
    ) -> None:
        self.vault = vault
        self.budget = budget or RequestBudget()  # counts, rate limits, registration cache
        self.breaker = breaker or OriginBreaker()
        self.policy = policy
        self.deadline = deadline
        self.timeout_s = timeout_s
        self.max_body = max_body
        self._client = _NeverFollow(
            follow_redirects=False,
            timeout=timeout_s,
            headers={"user-agent": user_agent},
            transport=_GuardedTransport(policy, max_connections),
            trust_env=False,
            # No shared cookie jar: flows of different users and clients run concurrently, so
            # each flow carries its own cookies explicitly (see `CookieJar` in harness.oauth).
            # The jar itself, not `httpx.Cookies(jar)`: the client copies a `Cookies` into a
            # jar of the default policy, which stores every cookie and sends it on every flow.
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        )
        self._recorders: list[Callable[[Exchange], None]] = []
        self._fresh_connections = False

    def single_connection(self) -> HttpClient:
        """A client of its own whose requests share one kept-alive connection (what a reused
        connection does is evidence of its own); same vault, policy, budget and recorders.
        Use as `async with http.single_connection() as conn:`."""
        conn = HttpClient(
            vault=self.vault,
            policy=self.policy,
            deadline=self.deadline,
            timeout_s=self.timeout_s,
            max_body=self.max_body,
            user_agent=self._client.headers.get("user-agent", "mcp-auth-harness"),
            max_connections=1,
            budget=self.budget,
            breaker=self.breaker,
        )
        conn._recorders = list(self._recorders)
        return conn

    def use_fresh_connections(self) -> None:
        """From now on every request asks for its own connection (`Connection: close`): a
        target that desynchronises kept-alive connections must not answer one request with
        the leftovers of another."""
        self._fresh_connections = True

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._client.aclose()

    def add_recorder(self, recorder: Callable[[Exchange], None]) -> None:
        """Call `recorder` with every exchange (transcripts, progress)."""
        self._recorders.append(recorder)

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        params: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
        json_body: object = None,
        content: bytes | None = None,
        timeout_s: float | None = None,
        max_body: int | None = None,
        read_until: ReadUntil | None = None,
    ) -> Response:
        """Send one request. Transport failures raise `TargetError` after being recorded."""
        if params:
            self.vault.add_fields(params)
            url = _with_query(url, params)
        self.breaker.admit(method, self.vault.redact_url(url))
        timeout, by_deadline = self._timeout(timeout_s)
        body, content_type = _encode_body(form, json_body, content)
        if form:
            self.vault.add_fields(form)
        if isinstance(json_body, dict):
            self.vault.add_fields(json_body)
        request = self._client.build_request(
            method, url, headers=_encode_headers(headers), content=body
        )
        if content_type and "content-type" not in request.headers:
            request.headers["content-type"] = content_type
        if self._fresh_connections:
            request.headers["connection"] = "close"
        _register_header_secrets(self.vault, request.headers)
        started = time.monotonic()
        try:  # a literal address or scheme refused outright; names are checked per connection
            self.policy.check(url)
        except EgressRefused as exc:
            exchange = self._record(request, None, None, f"egress refused: {exc.reason}", started)
            raise EgressRefused(self.vault.redact_url(url), exc.reason, (exchange,)) from exc
        self.budget.admit(method, url, classify(method, url, form, json_body))
        limit = self.max_body if max_body is None else max_body
        shown = f"{method} {self.vault.redact_url(url)}"
        response: httpx.Response | None = None
        received = bytearray()  # what arrived before a timeout is evidence too
        try:
            async with asyncio.timeout(timeout):
                response = await self._client.send(request, stream=True)
                connection = _local_address(response)
                try:
                    truncated = await _read_capped(response, limit, read_until, received)
                finally:
                    await response.aclose()
        except EgressRefused as exc:
            exchange = self._record(request, None, None, f"egress refused: {exc.reason}", started)
            raise EgressRefused(self.vault.redact_url(url), exc.reason, (exchange,)) from exc
        except (TimeoutError, httpx.TimeoutException) as exc:
            what = _timeout_reason(response, len(received), timeout, by_deadline, self.deadline)
            raw = bytes(received) if response is not None else None
            exchange = self._record(request, response, raw, what, started)
            self.breaker.failed(url, what, exchange)
            raise TargetError(f"{shown}: {what}", (exchange,)) from exc
        except httpx.HTTPError as exc:
            reason = f"{type(exc).__name__}: {self.vault.redact(_describe(exc))}"
            exchange = self._record(request, None, None, reason, started)
            if isinstance(exc, httpx.NetworkError):  # refused, reset, unreachable
                self.breaker.failed(url, reason, exchange)
            raise TargetError(f"{shown} failed: {reason}", (exchange,)) from exc
        raw = bytes(received)
        self.breaker.succeeded(url)
        _register_response_secrets(self.vault, response, raw)
        self.budget.observe(
            str(request.url), response.status_code, response.headers.get("retry-after")
        )
        exchange = self._record(request, response, raw, None, started)
        return Response(
            status=response.status_code,
            headers=response.headers,
            body=raw,
            url=str(request.url),
            exchange=exchange,
            truncated=truncated,
            connection=connection,
        )

    def _timeout(self, timeout_s: float | None) -> tuple[float, bool]:
        """The request's total timeout, and whether the run's deadline is what bounds it."""
        timeout = self.timeout_s if timeout_s is None else timeout_s
        if self.deadline is None:
            return timeout, False
        remaining = self.deadline.remaining()
        if remaining <= 0:
            raise TargetError(f"{self.deadline.passed_message}; nothing more is sent")
        return min(timeout, remaining), remaining < timeout

    def _record(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        raw: bytes | None,
        error: str | None,
        started: float,
    ) -> Exchange:
        vault = self.vault
        recorded_request = RecordedRequest(
            method=request.method,
            url=vault.redact_url(str(request.url)),
            headers=_redact_headers(vault, request.headers),
            body_excerpt=_excerpt(vault, request.content, request.headers.get("content-type")),
        )
        recorded_response = None
        if response is not None:
            recorded_response = RecordedResponse(
                status=response.status_code,
                headers=_redact_headers(vault, response.headers),
                body_excerpt=_excerpt(vault, raw or b"", response.headers.get("content-type")),
            )
        exchange = Exchange(
            request=recorded_request,
            response=recorded_response,
            error=error,
            elapsed_s=round(time.monotonic() - started, 4),
        )
        log.debug("%s", exchange.summary())
        for recorder in self._recorders:
            recorder(exchange)
        return exchange


def _encode_headers(
    headers: Mapping[str, str] | Sequence[tuple[str, str]] | None,
) -> list[tuple[bytes, bytes]]:
    """Non-ASCII header values go out as UTF-8 bytes, as a careless client would send them."""
    pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers or ())
    return [(k.encode("ascii"), v.encode("utf-8")) for k, v in pairs]


def _with_query(url: str, params: Mapping[str, str]) -> str:
    separator = "&" if urlsplit(url).query else "?"
    return url + separator + urlencode(list(params.items()))


def _encode_body(
    form: Mapping[str, str] | None, json_body: object, content: bytes | None
) -> tuple[bytes | None, str | None]:
    if form is not None:
        return urlencode(list(form.items())).encode(), "application/x-www-form-urlencoded"
    if json_body is not None:
        return json.dumps(json_body).encode(), "application/json"
    return content, None


def _local_address(response: httpx.Response) -> str | None:
    """`host:port` of our end of the connection (read before the response is closed)."""
    stream = response.extensions.get("network_stream")
    try:
        address = stream.get_extra_info("client_addr") if stream is not None else None
    except OSError:
        return None
    return f"{address[0]}:{address[1]}" if isinstance(address, tuple) else None


async def _read_capped(
    response: httpx.Response, limit: int, read_until: ReadUntil | None, into: bytearray
) -> bool:
    """Read the body into `into` (kept by the caller if the read times out); True if cut."""
    if read_until is not None and read_until(b""):
        return False  # the caller needs only the status and headers
    async for chunk in response.aiter_bytes():
        into.extend(chunk)
        if len(into) >= limit:
            del into[limit:]
            return True
        if read_until is not None and read_until(bytes(into)):
            break
    return False


def _describe(exc: BaseException) -> str:
    """The message, plus the OS error underneath it (anyio's "All connection attempts failed"
    hides whether the connection was refused or reset)."""
    message = str(exc)
    seen: list[BaseException] = []
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        seen.append(current)
        if isinstance(current, BaseExceptionGroup):
            pending += list(current.exceptions)
        for inner in (current.__cause__, current.__context__):
            if inner is not None and inner not in seen:
                pending.append(inner)
    causes = [e for e in seen if isinstance(e, OSError) and e.errno is not None]
    cause = causes[-1] if causes else None
    if cause is None or (message and (cause.strerror or "") in message):
        return message or "connection failed"
    what = f"{type(cause).__name__}: {cause.strerror}"
    return f"{message} ({what})" if message else what


def _timeout_reason(
    response: httpx.Response | None,
    received: int,
    timeout: float,
    by_deadline: bool,
    deadline: Deadline | None,
) -> str:
    """What the timeout interrupted: a silent server, a drip, or a stream that never ends."""
    why = f" ({deadline.passed_message})" if by_deadline and deadline else ""
    if response is None:
        return f"timed out after {timeout:.1f}s{why}: no response (headers) arrived"
    kind = (response.headers.get("content-type") or "").split(";")[0].strip().lower()
    body = "event stream" if kind == "text/event-stream" else "response body"
    return (
        f"timed out after {timeout:.1f}s{why}: HTTP {response.status_code}, the {body} "
        f"was still open after {received} bytes"
    )


_SCHEME_WORDS = frozenset({"bearer", "basic", "token", "dpop", "digest"})


def _register_header_secrets(vault: SecretVault, headers: httpx.Headers) -> None:
    for name, value in headers.multi_items():
        if name.lower() in {"authorization", "proxy-authorization"}:
            scheme, _, credentials = value.partition(" ")
            credentials = credentials.strip() if credentials else scheme  # a bare token
            if credentials.lower() not in _SCHEME_WORDS:
                vault.add(credentials)
        elif name.lower() == "mcp-session-id":
            vault.add(value)
        elif name.lower() == "cookie":
            for pair in value.split(";"):
                vault.add(pair.partition("=")[2].strip())


def _register_response_secrets(vault: SecretVault, response: httpx.Response, raw: bytes) -> None:
    vault.add(response.headers.get("mcp-session-id"))  # a session handle is a credential too
    for value in response.headers.get_list("set-cookie"):
        vault.add(value.split(";", 1)[0].partition("=")[2].strip())
    location = response.headers.get("location")
    if location:
        vault.add_fields(dict(parse_qsl(urlsplit(location).query)))
        vault.add_fields(dict(parse_qsl(urlsplit(location).fragment)))
    if "json" in (response.headers.get("content-type") or ""):
        try:
            parsed = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return
        if isinstance(parsed, dict):
            vault.add_fields(parsed)


def _redact_headers(vault: SecretVault, headers: httpx.Headers) -> Headers:
    return tuple((name, vault.redact_header(name, value)) for name, value in headers.multi_items())


def _excerpt(vault: SecretVault, raw: bytes, content_type: str | None) -> str:
    if not raw:
        return ""
    text = raw[: EXCERPT_CHARS * 4].decode("utf-8", "replace")
    kind = (content_type or "").lower()
    if "x-www-form-urlencoded" in kind:
        pairs = parse_qsl(text, keep_blank_values=True)
        text = urlencode([(k, vault.redact(fingerprint_field(k, v))) for k, v in pairs], safe=":/")
    elif "json" in kind:
        # A truncated or broken document keeps its text; the pattern-based redaction still applies.
        with contextlib.suppress(ValueError):
            text = json.dumps(fingerprint_fields(json.loads(text)))
    text = vault.redact(text)
    return text[:EXCERPT_CHARS] + ("…" if len(text) > EXCERPT_CHARS else "")
