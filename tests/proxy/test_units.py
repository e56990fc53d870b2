"""The pure parts of the proxy: the SPEC grammar, triggers and seeded probability, prompt
injection into JSON and SSE, origin rewriting and the console line."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest
from mitmproxy import http
from mitmproxy.test import tflow

from harness.errors import ConfigError
from harness.proxy.actions import act_on_response
from harness.proxy.console import describe
from harness.proxy.faults import KINDS, Direction, FaultSet, RequestView, parse_fault
from harness.proxy.inject import corpus_text, inject
from harness.proxy.record import RawExchange, RawMessage
from harness.proxy.rewrite import Rewriter, origin
from harness.redact import fingerprint

CALL = RequestView(method="POST", path="/mcp", rpc_method="tools/call", bearer="t" * 20)


def test_spec_grammar() -> None:
    spec = parse_fault("expire-token:after=3,rpc=tools/*,method=post,p=0.5")
    assert (spec.kind, spec.after_requests, spec.rpc, spec.method) == (
        "expire-token",
        3,
        "tools/*",
        "POST",
    )
    assert spec.times == 1  # without age=, the token in use when it triggers
    timed = parse_fault("latency:after=2.5s,ms=10,dir=response,path=/token|/.well-known/*")
    assert (timed.after_s, timed.direction, timed.paths) == (
        2.5,
        Direction.RESPONSE,
        ("/token", "/.well-known/*"),
    )
    assert parse_fault("discovery-404").paths == ("/.well-known/*",)
    assert parse_fault("refresh-fails-once").times == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bogus", "unknown kind 'bogus'"),
        ("strip-bearer:after", "is not KEY=VALUE"),
        ("strip-bearer:age=3", "unknown key 'age'"),
        ("rotate-authorization-server", "needs to="),
        ("rotate-authorization-server:to=ftp://x", "http(s) URL"),
        ("strip-bearer:p=1.5", "p is at most 1"),
        ("strip-bearer:dir=response", "acts on the request only"),
        ("corrupt-challenge:how=explode", "how must be one of"),
        ("latency:ms=-1", "ms must be between"),
    ],
)
def test_bad_specs_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_fault(text)


def test_every_kind_example_parses() -> None:
    for kind in KINDS.values():
        for example in kind.example.split("  or  "):
            assert parse_fault(example).kind == kind.name


def test_after_counts_only_requests_the_kind_can_act_on() -> None:
    faults = FaultSet(seed=1)
    fault = faults.add(parse_fault("strip-bearer:after=2"))
    anonymous = RequestView(method="GET", path="/.well-known/oauth-protected-resource")
    assert faults.decide(anonymous) == []  # no bearer: not counted
    assert [faults.decide(CALL) for _ in range(2)] == [[], []]
    assert faults.decide(CALL) == [fault]
    assert fault.seen == 3


def test_times_and_removal() -> None:
    faults = FaultSet(seed=1)
    fault = faults.add(parse_fault("refresh-fails-once"))
    grant = RequestView(method="POST", path="/token", grant_type="refresh_token")
    assert faults.decide(grant) == [fault]
    assert faults.decide(grant) == []  # the firing was reserved by the first decision
    assert faults.remove(fault.id)
    assert not faults.remove(fault.id)
    assert faults.snapshot() == []
    assert faults.snapshot(include_removed=True)[0]["fired"] == 1


def test_times_is_reserved_at_decision_and_released_when_nothing_acted() -> None:
    """Two flows in flight on a times=1 fault: only one may act; the other must pass through
    untouched (not be changed and then left out of the faulted flows)."""
    faults = FaultSet(seed=1)
    fault = faults.add(parse_fault("corrupt-challenge:times=1"))
    probe = RequestView(method="POST", path="/mcp")
    first, second = faults.decide(probe), faults.decide(probe)
    assert (first, second) == ([fault], [])
    faults.release(fault)  # the first flow's response had no challenge to corrupt
    assert faults.decide(probe) == [fault]
    assert fault.fired == 1


def test_probability_is_seeded_and_roughly_right() -> None:
    def draws(seed: int) -> list[bool]:
        faults = FaultSet(seed=seed)
        faults.add(parse_fault("reset:p=0.3"))
        return [bool(faults.decide(CALL)) for _ in range(400)]

    first = draws(42)
    assert first == draws(42)
    assert first != draws(43)
    assert 80 < sum(first) < 160


def test_inject_into_json_and_sse() -> None:
    _, text = corpus_text("token-exfiltration")
    result = {"jsonrpc": "2.0", "id": 1, "result": {"content": [{"type": "text", "text": "hi"}]}}
    planted = inject(json.dumps(result).encode(), "application/json", text)
    assert planted is not None
    assert json.loads(planted)["result"]["content"][0]["text"] == "hi\n\n" + text
    resource = {"jsonrpc": "2.0", "id": 2, "result": {"contents": [{"uri": "x", "text": "r"}]}}
    sse = f"event: message\ndata: {json.dumps(resource)}\n\n".encode()
    planted_sse = inject(sse, "text/event-stream", text)
    assert planted_sse is not None
    data = planted_sse.decode().split("data: ", 1)[1].split("\n", 1)[0]
    assert json.loads(data)["result"]["contents"][0]["text"].endswith(text)
    assert inject(b'{"jsonrpc":"2.0","id":3,"error":{}}', "application/json", text) is None
    with pytest.raises(ValueError, match="known:"):
        corpus_text("no-such-injection")


def test_origin_rewriting_both_ways() -> None:
    rewriter = Rewriter(
        client_origin="http://127.0.0.1:8080",
        upstream_origin=origin("https", "mcp.example.com", 443),
    )
    assert rewriter.upstream_origin == "https://mcp.example.com"
    body = b"resource=http%3A%2F%2F127.0.0.1%3A8080%2Fmcp&x=http://127.0.0.1:8080/a"
    assert rewriter.to_upstream(body) == (
        b"resource=https%3A%2F%2Fmcp.example.com%2Fmcp&x=https://mcp.example.com/a"
    )
    assert rewriter.to_client(b'{"issuer":"https:\\/\\/mcp.example.com"}') == (
        b'{"issuer":"http:\\/\\/127.0.0.1:8080"}'
    )
    assert origin("http", "::1", 9000) == "http://[::1]:9000"


def raw(status: int, body: str, headers: tuple[tuple[bytes, bytes], ...] = ()) -> RawExchange:
    return RawExchange(
        method="POST",
        url="http://127.0.0.1:8080/token",
        request=RawMessage(headers=(), body=b""),
        status=status,
        response=RawMessage(headers=headers, body=body.encode()),
        error=None,
        elapsed_s=0.01,
    )


def test_console_lines() -> None:
    secret = "an-access-token-of-some-length"
    token = raw(
        200,
        json.dumps({"access_token": secret, "expires_in": 3600}),
        ((b"Content-Type", b"application/json"),),
    )
    grant = RequestView(method="POST", path="/token", grant_type="authorization_code")
    assert describe(token, grant) == (
        f"POST /token authorization_code → 200, access token {fingerprint(secret)}, "
        "expires in 3600 s"
    )
    denied = raw(
        403,
        "",
        ((b"WWW-Authenticate", b'Bearer error="insufficient_scope", scope="notes:write"'),),
    )
    call = RequestView(method="POST", path="/mcp", rpc_method="tools/call", rpc_name="delete_note")
    assert describe(denied, call, ["strip-bearer#1"]) == (
        "tools/call delete_note → 403 insufficient_scope  [strip-bearer#1]"
    )
    killed = replace(denied, status=None, response=None, error="connection killed")
    assert describe(killed, call) == "tools/call delete_note → error: connection killed"


def test_console_lines_escape_control_characters() -> None:
    """A hostile server (or client) must not drive the terminal: ANSI escapes, carriage returns
    and bidi overrides in its strings are shown escaped."""
    hostile = raw(
        400,
        json.dumps({"error": "\x1b]0;pwned\x07\x1b[2J", "expires_in": 1}),
        (
            (b"Content-Type", b"application/json"),
            (b"Retry-After", b"1\r\x1b[1A"),
        ),
    )
    view = RequestView(method="POST", path="/token\u202e\x9b31m", grant_type="x\x1b[31m")
    line = describe(hostile, view)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or c == "\u202e" for c in line)
    assert "\\x1b]0;pwned\\x07\\x1b[2J" in line
    assert "Retry-After 1\\r\\x1b[1A" in line
    assert line.startswith("POST /token\\u202e\\x9b31m x\\x1b[31m → 400 ")
    errored = replace(hostile, status=None, response=None, error="reset \x1b[2K")
    assert describe(errored, view).endswith("error: reset \\x1b[2K")


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ("remove", None),
        ("drop-metadata", 'Bearer error="invalid_token"'),
        ("garble", 'Bearer error="\'invalid_token", resource_metadata="https://rs/prm'),
    ],
)
def test_corrupt_challenge_variants(how: str, expected: str | None) -> None:
    challenge = 'Bearer error="invalid_token", resource_metadata="https://rs/prm"'
    flow = tflow.tflow(resp=http.Response.make(401, b"", {"www-authenticate": challenge}))
    fault = FaultSet(seed=1).add(parse_fault(f"corrupt-challenge:how={how}"))
    assert asyncio.run(act_on_response(fault, flow))
    assert flow.response is not None
    assert flow.response.headers.get("www-authenticate") == expected


def test_authorize_307_only_touches_authorization_responses() -> None:
    fault = FaultSet(seed=1).add(parse_fault("authorize-307"))
    back = http.Response.make(302, b"", {"location": "http://127.0.0.1:1/cb?code=abc&state=s"})
    login = http.Response.make(302, b"", {"location": "/login?next=/authorize"})
    assert asyncio.run(act_on_response(fault, tflow.tflow(resp=back)))
    assert back.status_code == 307
    assert not asyncio.run(act_on_response(fault, tflow.tflow(resp=login)))
    assert login.status_code == 302
