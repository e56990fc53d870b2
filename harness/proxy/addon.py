"""The mitmproxy addon: faults, origin rewriting, the recording, the control API, the report.

    mitmdump -s "$(mcp-auth-harness proxy --addon-path)" --mode reverse:http://127.0.0.1:8000 \
        --set mcp_faults='expire-token:after=3,rpc=tools/call' --set mcp_out=reports/proxy

Options are declared in `load` and parsed once in `configure`; the hooks are small and keep a
flow's own state in `flow.metadata[META]`. Child addons (`addons`) run after this one on each
hook: the quirk replay of `mcp_as_profile`, then the recorder, so what is recorded is what the
client really received.
"""

from __future__ import annotations

import logging
import random
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mitmproxy import ctx, exceptions, http
from mitmproxy.addonmanager import Loader
from mitmproxy.proxy.mode_specs import ReverseMode

from harness.errors import ConfigError
from harness.exchange import Exchange
from harness.proxy import actions
from harness.proxy.console import describe
from harness.proxy.control import ControlServer
from harness.proxy.faults import Fault, FaultSet, RequestView, parse_fault
from harness.proxy.outcome import RunFacts, build_report
from harness.proxy.record import RawExchange, RawMessage, kept, record
from harness.proxy.replay import QUIRKS_META, QuirkReplay
from harness.proxy.rewrite import Rewriter, header, is_textual, origin, rewriter_for
from harness.redact import SecretVault, fingerprint
from harness.results import Report

log = logging.getLogger(__name__)
META = "mcp_auth_harness"
# A long run keeps counting flows but stops storing them past either bound (bodies are already
# cut to what the recording reads when captured: record.kept).
MAX_EXCHANGES = 20_000
MAX_KEPT_BYTES = 256 * 1024 * 1024
OnFlow = Callable[[str | None], None]  # each flow's console line (None: the console is off)
OPTIONAL_STR: Any = str | None  # mitmproxy's option types are typing objects, not `type`s
_NOT_REWRITTEN = frozenset({b"host", b"content-length", b"date"})


@dataclass(slots=True, kw_only=True)
class FlowState:
    """One flow's own state (flow.metadata[META])."""

    started: float
    view: RequestView
    client_url: str
    request: RawMessage
    client_origin: str  # the origin the client addressed (the proxy's, in reverse mode)
    rewriter: Rewriter | None
    pending: list[Fault] = field(default_factory=list)  # response faults decided on the request
    fired: list[str] = field(default_factory=list)
    answered: bool = False  # the proxy made up the response


class McpAuthAddon:
    def __init__(self, on_flow: OnFlow | None = None) -> None:
        self.vault = SecretVault()
        self.faults = FaultSet(seed=0)
        self.memory = actions.Memory()
        # Flows are kept raw and redacted into Exchanges when asked for (the control API, the
        # fixture, the report): the redaction costs more than mitmproxy's own work on a flow.
        self._lock = threading.Lock()
        self._raw: list[tuple[RawExchange, float]] = []  # with the wall-clock start
        self._exchanges: list[Exchange] = []
        # positions in `exchanges` a fault or the quirk replay acted on → what acted
        self.faulted: dict[int, tuple[str, ...]] = {}
        self.flows = 0
        self._kept_bytes = 0  # bodies held by the stored flows (raw or recorded)
        self.unrecorded = 0  # flows past the capture bounds: seen, not kept, counted in the report
        self.control: ControlServer | None = None
        self.listen: tuple[str, ...] = ()
        self.started_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.started = time.monotonic()
        self.out: Path | None = None
        self.as_profile: str | None = None
        self.on_flow = on_flow
        self.console = True
        self.last_report: Report | None = None  # built by `done`
        self.addons: list[object] = [_Recorder(self)]

    # --- options -------------------------------------------------------------------------

    def load(self, loader: Loader) -> None:
        loader.add_option(
            "mcp_faults", Sequence[str], [], "faults to inject, each KIND[:KEY=VALUE,...]"
        )
        loader.add_option("mcp_seed", int, 0, "seed of the faults' probabilities (0: random)")
        loader.add_option(
            "mcp_control_port", int, 0, "control API port on 127.0.0.1 (0: any free, -1: off)"
        )
        loader.add_option("mcp_as_profile", OPTIONAL_STR, None, "replay a profile's quirks")
        loader.add_option("mcp_out", OPTIONAL_STR, None, "write report.json and the others here")
        loader.add_option("mcp_console", bool, True, "log one MCP/OAuth-aware line per flow")

    def configure(self, updated: set[str]) -> None:
        options = ctx.options
        if "mcp_seed" in updated or "mcp_faults" in updated:
            seed = options.mcp_seed or random.SystemRandom().randrange(1, 2**31)
            try:
                specs = [parse_fault(text) for text in _split(options.mcp_faults)]
            except ConfigError as exc:
                raise exceptions.OptionsError(str(exc)) from exc  # type: ignore[no-untyped-call]
            self.faults.clear()
            self.faults.seed = seed
            for spec in specs:
                self.faults.add(spec)
        if "mcp_as_profile" in updated:
            self.as_profile = options.mcp_as_profile or None
            replay: list[object] = [QuirkReplay(self.as_profile)] if self.as_profile else []
            self.addons[:] = [*replay, self.addons[-1]]
        if "mcp_console" in updated:
            self.console = options.mcp_console
        if "mcp_out" in updated:
            self.out = Path(options.mcp_out) if options.mcp_out else None

    # --- lifecycle -----------------------------------------------------------------------

    def running(self) -> None:
        self.started = time.monotonic()
        server = ctx.master.addons.get("proxyserver")  # type: ignore[no-untyped-call]
        if server is not None:
            self.listen = tuple(f"{a[0]}:{a[1]}" for a in server.listen_addrs())
        port = ctx.options.mcp_control_port
        if port >= 0 and self.control is None:
            self.control = ControlServer(self.faults, lambda: self.exchanges, port)
            self.control.start()

    def done(self) -> None:
        if self.control is not None:
            self.control.stop()
        self.last_report = self.report()
        if self.out is not None:
            from harness.report import render_all

            render_all(self.last_report, self.out)
            log.info("mcp proxy report: %s", self.out / "report.json")

    def report(self) -> Report:
        modes = list(ctx.options.mode)
        reverse = [m.removeprefix("reverse:") for m in modes if m.startswith("reverse:")]
        facts = RunFacts(
            upstream=reverse[0] if reverse else None,
            listen=self.listen,
            mode=",".join(modes),
            control_url=self.control.url if self.control else None,
            as_profile=self.as_profile,
            started_at=self.started_at,
            duration_s=time.monotonic() - self.started,
            seed=self.faults.seed,
        )
        replay = next((a for a in self.addons if isinstance(a, QuirkReplay)), None)
        return build_report(
            facts,
            self.exchanges,
            self.faults.snapshot(include_removed=True),
            faulted=self.faulted,
            replay=replay.to_json() if replay else None,
            unrecorded=self.unrecorded,
        )

    # --- hooks ---------------------------------------------------------------------------

    async def request(self, flow: http.HTTPFlow) -> None:
        state = _state_of(flow, self.vault)
        flow.metadata[META] = state
        self.flows += 1
        if self._still_expired(flow, state):
            return
        for fault in self.faults.decide(state.view):
            if actions.acts_on_response(fault):
                state.pending.append(fault)
                continue
            origin_ = state.client_origin
            if await actions.act_on_request(fault, flow, state.view, self.memory, origin_):
                state.fired.append(f"{fault.spec.kind}#{fault.id}")
            else:
                self.faults.release(fault)
            if flow.response is not None or flow.error is not None:
                state.answered = flow.response is not None
                self._release_pending(state)  # no upstream response for them to act on
                return
        if state.rewriter is not None:
            _rewrite_request(flow.request, state.rewriter)

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        state = flow.metadata.get(META)
        response = flow.response
        if response is None or not isinstance(state, FlowState) or state.answered:
            return
        if flow.request.method == "GET" and "event-stream" in response.headers.get(
            "content-type", ""
        ):
            # A GET stream may never end: pass it through as it comes (rewritten chunk by chunk).
            response.stream = state.rewriter.to_client if state.rewriter else True

    async def response(self, flow: http.HTTPFlow) -> None:
        state = flow.metadata.get(META)
        response = flow.response
        if response is None or not isinstance(state, FlowState) or state.answered:
            return
        if state.rewriter is not None:
            _rewrite_response(response, state.rewriter)
        actions.remember_challenge(self.memory, state.client_origin, response)
        pending, state.pending = state.pending, []
        for fault in pending:
            if await actions.act_on_response(fault, flow):
                state.fired.append(f"{fault.spec.kind}#{fault.id}")
            else:
                self.faults.release(fault)

    def error(self, flow: http.HTTPFlow) -> None:
        state = flow.metadata.get(META)
        if isinstance(state, FlowState):
            self._release_pending(state)

    # --- helpers -------------------------------------------------------------------------

    def _still_expired(self, flow: http.HTTPFlow, state: FlowState) -> bool:
        """A token an expire-token fault expired stays expired while that fault is active."""
        bearer = state.view.bearer
        fault = self.memory.expired.get(fingerprint(bearer)) if bearer else None
        if fault is None or fault.removed:
            return False
        flow.response = actions.expired_answer(self.memory, state.client_origin, state.view.path)
        state.answered = True
        state.fired.append(f"{fault.spec.kind}#{fault.id}")  # `fired` counts expirations only
        return True

    def _release_pending(self, state: FlowState) -> None:
        """Response faults reserved on the request whose flow never got an upstream response."""
        for fault in state.pending:
            self.faults.release(fault)
        state.pending.clear()

    def keep(
        self,
        raw: RawExchange,
        view: RequestView,
        fired: Sequence[str],
        rewritten: Sequence[str] = (),
    ) -> None:
        size = len(raw.request.body) + (len(raw.response.body) if raw.response else 0)
        with self._lock:
            stored = len(self._exchanges) + len(self._raw)
            if stored < MAX_EXCHANGES and self._kept_bytes + size <= MAX_KEPT_BYTES:
                self._kept_bytes += size
                if fired or rewritten:  # no evidence about the server (passive checks)
                    position = len(self._exchanges) + len(self._raw)
                    self.faulted[position] = (*fired, *rewritten)
                self._raw.append((raw, time.time() - raw.elapsed_s))
            else:
                if not self.unrecorded:
                    log.warning("mcp proxy: capture bounds reached; later flows are not recorded")
                self.unrecorded += 1
        line = describe(raw, view, fired) if self.console else None
        if self.on_flow is not None:
            self.on_flow(line)
        elif line is not None:
            # Straight to mitmdump's output, as its own flow dumper writes: a log record would
            # also fire mitmproxy's legacy add_log event through every addon, per flow.
            sys.stdout.write(line + "\n")

    @property
    def exchanges(self) -> list[Exchange]:
        """Every flow so far as the client saw it, redacted (in the order they completed)."""
        with self._lock:
            for raw, at in self._raw:
                self._exchanges.append(replace(record(self.vault, raw), at=at))
            self._raw.clear()
            return list(self._exchanges)


class _Recorder:
    """The last addon on each flow: the client's request and what the client received."""

    def __init__(self, owner: McpAuthAddon) -> None:
        self.owner = owner

    def response(self, flow: http.HTTPFlow) -> None:
        self._record(flow, None)

    def error(self, flow: http.HTTPFlow) -> None:
        self._record(flow, flow.error.msg if flow.error else "connection failed")

    def _record(self, flow: http.HTTPFlow, error: str | None) -> None:
        state = flow.metadata.pop(META, None)
        if not isinstance(state, FlowState):
            return
        response = flow.response if error is None else None
        raw = RawExchange(
            method=state.view.method,
            url=state.client_url,
            request=state.request,
            status=response.status_code if response is not None else None,
            response=None
            if response is None
            else _captured(self.owner.vault, response),
            error=error,
            elapsed_s=time.monotonic() - state.started,
        )
        # --as-profile's rewrite: the server answered the profile's request, not the client's
        quirks = flow.metadata.get(QUIRKS_META) or []
        rewritten = [f"as-profile {q}" for q in quirks]
        self.owner.keep(raw, state.view, state.fired, rewritten)


def _body(message: http.Message) -> bytes:
    return message.get_content(strict=False) or b""


def _captured(vault: SecretVault, message: http.Message) -> RawMessage:
    """One side of a flow as kept for the recording (its body cut to what it reads)."""
    content_type = message.headers.get("content-type")
    return RawMessage(
        headers=tuple(message.headers.fields), body=kept(vault, _body(message), content_type)
    )


def _state_of(flow: http.HTTPFlow, vault: SecretVault) -> FlowState:
    request = flow.request
    mode = flow.client_conn.proxy_mode
    rewriter = None
    if isinstance(mode, ReverseMode):
        client_origin = _client_origin(flow)
        upstream = origin("https" if mode.scheme == "https" else "http", *mode.address)
        rewriter = rewriter_for(client_origin, upstream)
        url = client_origin + request.path
    else:  # forward: the client addresses the server itself
        client_origin = origin(request.scheme, request.host, request.port)
        url = request.pretty_url
    return FlowState(
        client_origin=client_origin,
        started=time.monotonic(),
        view=actions.request_view(flow),
        client_url=url,
        request=_captured(vault, request),
        rewriter=rewriter,
    )


def _client_origin(flow: http.HTTPFlow) -> str:
    """The proxy as the client reached it (reverse mode)."""
    host, port = flow.client_conn.sockname[:2]
    return origin("https" if flow.client_conn.tls else "http", host, port)


def _rewrite_request(request: http.Request, rewriter: Rewriter) -> None:
    path = rewriter.to_upstream_text(request.path)
    if path != request.path:
        request.path = path
    _rewrite_headers(request.headers, rewriter.to_upstream)
    _rewrite_body(request, rewriter.to_upstream)


def _rewrite_response(response: http.Response, rewriter: Rewriter) -> None:
    _rewrite_headers(response.headers, rewriter.to_client)
    _rewrite_body(response, rewriter.to_client)


def _rewrite_body(message: http.Message, convert: Callable[[bytes], bytes]) -> None:
    if message.raw_content and is_textual(header(message.headers.fields, b"content-type")):
        body = _body(message)
        rewritten = convert(body)
        if rewritten != body:  # re-encoding an unchanged body would be wasted work
            message.content = rewritten


def _rewrite_headers(headers: http.Headers, convert: Callable[[bytes], bytes]) -> None:
    fields = headers.fields
    joined = b"\n".join(value for _, value in fields)
    if convert(joined) == joined:  # one scan in the common case: no header names an origin
        return
    headers.fields = tuple((k, v if k.lower() in _NOT_REWRITTEN else convert(v)) for k, v in fields)


def _split(texts: Sequence[str]) -> list[str]:
    """Each option value, split on `;` (so one --set can carry several faults)."""
    return [part.strip() for text in texts for part in text.split(";") if part.strip()]
