"""Faults the proxy injects: the SPEC grammar, the kinds, triggers and the live set.

A fault is `KIND[:KEY=VALUE[,KEY=VALUE]...]`, for example
`expire-token:after=3,rpc=tools/call` (the fourth and later tool calls get 401 invalid_token).

Keys every kind takes:
  after=N     fire only after the first N matching requests went through untouched
  after=Ts    fire only T seconds after the fault was added (e.g. `after=30s`)
  times=N     fire at most N times (refresh-fails-once defaults to 1)
  p=P         fire with probability P (0..1), drawn from the run's seed
  method=M    match only this HTTP method (GET, POST, ...)
  path=GLOB   match only these paths (shell glob on the path; alternatives with `|`)
  rpc=GLOB    match only JSON-RPC requests whose method matches (`tools/call`, `tools/*`)
  dir=D       request or response: when latency and reset act (before or after the upstream)

Each kind's own keys are in `KINDS` (what `--fault list` prints). Pure data and decisions here;
what a fault does to a flow is in `harness.proxy.actions`.
"""

from __future__ import annotations

import fnmatch
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from harness.errors import ConfigError


class Direction(StrEnum):
    REQUEST = "request"
    RESPONSE = "response"


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestView:
    """What a fault's trigger looks at in a request (parsed once per flow)."""

    method: str
    path: str
    rpc_method: str | None = None
    rpc_name: str | None = None  # a tools/call's tool name or a resources/read's URI
    bearer: str | None = None
    grant_type: str | None = None


def _any(_: RequestView) -> bool:
    return True


def _with_bearer(request: RequestView) -> bool:
    return request.bearer is not None


def _token_grant(request: RequestView) -> bool:
    return request.grant_type in {"authorization_code", "refresh_token"}


def _refresh_grant(request: RequestView) -> bool:
    return request.grant_type == "refresh_token"


def _content_read(request: RequestView) -> bool:
    return request.rpc_method in {"tools/call", "resources/read"}


def _prm(request: RequestView) -> bool:
    return request.path.startswith("/.well-known/oauth-protected-resource")


@dataclass(frozen=True, slots=True, kw_only=True)
class Kind:
    name: str
    summary: str
    example: str
    direction: Direction  # where it acts by default
    keys: Mapping[str, str] = field(default_factory=dict)  # its own keys and what they mean
    required: tuple[str, ...] = ()
    default_times: int | None = None
    default_path: str | None = None  # the paths it acts on when no path= is given
    # The requests it can act on: what after=N counts (the 4th bearer request, not the 4th flow).
    applies: Callable[[RequestView], bool] = _any


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            name="strip-bearer",
            applies=_with_bearer,
            summary="remove the Authorization header before the request reaches the server",
            example="strip-bearer:after=2,rpc=tools/call",
            direction=Direction.REQUEST,
        ),
        Kind(
            name="expire-token",
            applies=_with_bearer,
            summary="answer 401 invalid_token (RFC 6750 challenge with resource_metadata): "
            "without age=, the token presented when it triggers (times=1 unless given); with "
            "age=, every token that old. An expired token stays expired; a new one works",
            example="expire-token:age=30  or  expire-token:after=3,rpc=tools/call",
            direction=Direction.REQUEST,
            keys={"age": "only tokens first seen at least this many seconds ago"},
        ),
        Kind(
            name="discovery-404",
            summary="answer 404 on well-known discovery paths",
            example="discovery-404:path=/.well-known/oauth-protected-resource/*",
            direction=Direction.REQUEST,
            default_path="/.well-known/*",
        ),
        Kind(
            name="drop-refresh-token",
            applies=_token_grant,
            summary="remove refresh_token from token responses",
            example="drop-refresh-token",
            direction=Direction.RESPONSE,
        ),
        Kind(
            name="refresh-fails-once",
            applies=_refresh_grant,
            summary="answer the first refresh_token grant with 400 invalid_grant",
            example="refresh-fails-once",
            direction=Direction.REQUEST,
            default_times=1,
        ),
        Kind(
            name="authorize-307",
            summary="turn the authorization server's redirect back to the client into a 307",
            example="authorize-307",
            direction=Direction.RESPONSE,
        ),
        Kind(
            name="inject-prompt",
            applies=_content_read,
            summary="append an instruction from scenarios/data/injections.toml to tool results "
            "and resource contents (JSON and SSE responses)",
            example="inject-prompt:id=token-exfiltration,rpc=tools/call",
            direction=Direction.RESPONSE,
            keys={"id": "the injection's id in the corpus (default: the first)"},
        ),
        Kind(
            name="corrupt-challenge",
            summary="corrupt the WWW-Authenticate challenge of 401 responses",
            example="corrupt-challenge:how=drop-metadata",
            direction=Direction.RESPONSE,
            keys={"how": "garble (unterminated quote, default), drop-metadata or remove"},
        ),
        Kind(
            name="rotate-authorization-server",
            applies=_prm,
            summary="switch protected resource metadata's authorization_servers to another AS",
            example="rotate-authorization-server:to=https://as2.example.com,after=60s",
            direction=Direction.RESPONSE,
            keys={"to": "the other authorization server's issuer URL"},
            required=("to",),
        ),
        Kind(
            name="rate-limit",
            summary="answer 429 Too Many Requests with Retry-After",
            example="rate-limit:path=/token,retry=2",
            direction=Direction.REQUEST,
            keys={"retry": "Retry-After seconds (default 1)"},
        ),
        Kind(
            name="latency",
            summary="delay the request or the response",
            example="latency:ms=500,dir=response",
            direction=Direction.REQUEST,
            keys={"ms": "milliseconds of delay (default 1000)"},
        ),
        Kind(
            name="reset",
            summary="kill the connection (before the upstream sees the request, or after it "
            "answered with dir=response)",
            example="reset:p=0.1",
            direction=Direction.REQUEST,
        ),
    )
}
COMMON_KEYS = ("after", "times", "p", "method", "path", "rpc", "dir")
CORRUPTIONS = ("garble", "drop-metadata", "remove")
MAX_LATENCY_MS = 600_000


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultSpec:
    """One parsed SPEC string."""

    kind: str
    text: str
    after_requests: int = 0
    after_s: float = 0.0
    times: int | None = None
    probability: float = 1.0
    method: str | None = None
    paths: tuple[str, ...] = ()
    rpc: str | None = None
    direction: Direction = Direction.REQUEST
    params: Mapping[str, str] = field(default_factory=dict)

    def matches(self, request: RequestView) -> bool:
        if self.method is not None and request.method.upper() != self.method:
            return False
        if self.paths and not any(fnmatch.fnmatchcase(request.path, p) for p in self.paths):
            return False
        if self.rpc is not None and not fnmatch.fnmatchcase(request.rpc_method or "", self.rpc):
            return False
        return KINDS[self.kind].applies(request)

    def param(self, key: str, default: str = "") -> str:
        return self.params.get(key, default)

    def number(self, key: str, default: float) -> float:
        return float(self.params[key]) if key in self.params else default


def parse_fault(text: str) -> FaultSpec:
    """A SPEC string parsed; a ConfigError names what is wrong and what is valid."""
    name, _, rest = text.strip().partition(":")
    kind = KINDS.get(name)
    if kind is None:
        raise ConfigError(f"fault {text!r}: unknown kind {name!r}; valid: {', '.join(KINDS)}")
    pairs: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not value:
            raise ConfigError(f"fault {text!r}: {item!r} is not KEY=VALUE")
        if key not in COMMON_KEYS and key not in kind.keys:
            valid = ", ".join((*COMMON_KEYS, *kind.keys))
            raise ConfigError(f"fault {text!r}: unknown key {key!r} for {name}; valid: {valid}")
        pairs[key] = value
    missing = [key for key in kind.required if key not in pairs]
    if missing:
        raise ConfigError(f"fault {text!r}: {name} needs {', '.join(missing)}=…")
    try:
        return _build(kind, text.strip(), pairs)
    except ValueError as exc:
        raise ConfigError(f"fault {text!r}: {exc}") from exc


def _build(kind: Kind, text: str, pairs: dict[str, str]) -> FaultSpec:
    after = pairs.pop("after", "0")
    after_s = float(after[:-1]) if after.endswith("s") else 0.0
    after_requests = 0 if after.endswith("s") else int(after)
    times = int(pairs.pop("times")) if "times" in pairs else kind.default_times
    if kind.name == "expire-token" and times is None and "age" not in pairs:
        times = 1  # the token in use at the trigger expires; the one the client gets next works
    probability = float(pairs.pop("p", "1"))
    direction = Direction(pairs.pop("dir", kind.direction.value))
    path = pairs.pop("path", kind.default_path or "")
    method = pairs.pop("method", "").upper() or None
    rpc = pairs.pop("rpc", None)
    if min(after_s, after_requests, probability, times or 0) < 0 or probability > 1:
        raise ValueError("after, times and p must not be negative, and p is at most 1")
    if direction is not kind.direction and kind.name not in {"latency", "reset"}:
        raise ValueError(f"{kind.name} acts on the {kind.direction.value} only")
    _check_params(kind.name, pairs)
    return FaultSpec(
        kind=kind.name,
        text=text,
        after_requests=after_requests,
        after_s=after_s,
        times=times,
        probability=probability,
        method=method,
        paths=tuple(p for p in path.split("|") if p),
        rpc=rpc,
        direction=direction,
        params=pairs,
    )


def _check_params(kind: str, params: dict[str, str]) -> None:
    for key in ("age", "retry"):
        if key in params and float(params[key]) < 0:
            raise ValueError(f"{key} must not be negative")
    if "ms" in params and not 0 <= int(params["ms"]) <= MAX_LATENCY_MS:
        raise ValueError(f"ms must be between 0 and {MAX_LATENCY_MS}")
    if params.get("how", "garble") not in CORRUPTIONS:
        raise ValueError(f"how must be one of {', '.join(CORRUPTIONS)}")
    if kind == "rotate-authorization-server" and not params["to"].startswith(
        ("http://", "https://")
    ):
        raise ValueError("to must be an http(s) URL")


@dataclass(slots=True)
class Fault:
    """A fault in the live set: its spec, its counters and its own seeded random stream."""

    id: int
    spec: FaultSpec
    added_at: float
    rng: random.Random
    seen: int = 0  # matching requests
    fired: int = 0
    removed: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "spec": self.spec.text,
            "kind": self.spec.kind,
            "seen": self.seen,
            "fired": self.fired,
            "active": not self.removed,
        }


class FaultSet:
    """The faults of one proxy run, changed at run time (control API, fixture) while the proxy's
    event loop decides on each request: every access holds the lock."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._lock = threading.Lock()
        self._faults: list[Fault] = []  # removed ones stay, for the report

    def add(self, spec: FaultSpec) -> Fault:
        with self._lock:
            ident = len(self._faults) + 1
            fault = Fault(
                id=ident,
                spec=spec,
                added_at=time.monotonic(),
                rng=random.Random(f"{self.seed}:{ident}:{spec.text}"),  # noqa: S311 - not crypto
            )
            self._faults.append(fault)
            return fault

    def remove(self, ident: int) -> bool:
        with self._lock:
            for fault in self._faults:
                if fault.id == ident and not fault.removed:
                    fault.removed = True
                    return True
            return False

    def clear(self) -> int:
        with self._lock:
            active = [f for f in self._faults if not f.removed]
            for fault in active:
                fault.removed = True
            return len(active)

    def snapshot(self, *, include_removed: bool = False) -> list[dict[str, object]]:
        with self._lock:
            return [f.to_json() for f in self._faults if include_removed or not f.removed]

    def decide(self, request: RequestView) -> list[Fault]:
        """The faults that fire on this request: counted, triggered and drawn now, in the order
        they were added. Each firing is reserved here, under the lock, so concurrent flows never
        overrun `times`; the caller gives it back with `release` when its action changed nothing
        (a response fault may find nothing to change, or the flow may end before its response)."""
        now = time.monotonic()
        chosen = []
        with self._lock:
            for fault in self._faults:
                spec = fault.spec
                if fault.removed or not spec.matches(request):
                    continue
                fault.seen += 1
                if fault.seen <= spec.after_requests or now - fault.added_at < spec.after_s:
                    continue
                if spec.times is not None and fault.fired >= spec.times:
                    continue
                if spec.probability < 1 and fault.rng.random() >= spec.probability:
                    continue
                fault.fired += 1
                chosen.append(fault)
        return chosen

    def release(self, fault: Fault) -> None:
        """Give back a firing `decide` reserved whose action did not act."""
        with self._lock:
            fault.fired = max(0, fault.fired - 1)


def describe_kinds() -> str:
    """What `--fault list` prints: each kind, what it does and an example."""
    lines = ["Fault SPEC: KIND[:KEY=VALUE,...]; keys of every kind:", ""]
    lines += [
        "  after=N | after=Ts   fire after N matching requests, or T seconds after it was added",
        "  times=N              fire at most N times",
        "  p=P                  probability 0..1 (seeded: --seed)",
        "  method=M path=GLOB[|GLOB] rpc=GLOB   which requests match",
        "  dir=request|response when latency and reset act",
        "",
    ]
    for kind in KINDS.values():
        lines.append(f"{kind.name}: {kind.summary}")
        for key, meaning in kind.keys.items():
            lines.append(f"    {key}=…  {meaning}")
        lines.append(f"    e.g. --fault {kind.example}")
    return "\n".join(lines)
