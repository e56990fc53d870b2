"""http.connection-reuse over evidence fixtures, and the HTTP layer's connection controls."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from harness.checks.transport import connection_reuse
from harness.http import HttpClient
from harness.probes.transport.evidence import ConnectionReuse, Outcome, ReuseRound
from harness.results import Verdict

CHALLENGE = Outcome(status=401, content_type="application/json", connection="127.0.0.1:5000")


def _evidence(*rounds: ReuseRound) -> ConnectionReuse:
    return ConnectionReuse(url="http://127.0.0.1:1/mcp", rounds=rounds, exchanges=())


def _again(status: int | None, connection: str | None = "127.0.0.1:5000") -> ReuseRound:
    kind = "text/html" if status == 400 else "application/json"
    return ReuseRound(
        first=CHALLENGE, follow_up=Outcome(status=status, content_type=kind, connection=connection)
    )


DESYNC = _again(400)
FAILED = ReuseRound(first=CHALLENGE, follow_up=Outcome(error="RemoteProtocolError: illegal"))
DROPPED = ReuseRound(
    first=CHALLENGE,
    follow_up=Outcome(error="RemoteProtocolError: Server disconnected without sending a response."),
)


@pytest.mark.parametrize(
    ("rounds", "verdict"),
    [
        ((_again(401),), Verdict.PASS),  # the same answer on the reused connection
        ((_again(400, connection="127.0.0.1:5001"),), Verdict.PASS),  # not reused: no leftovers
        ((_again(429),), Verdict.PASS),  # a different answer, but not from a parser
        ((DESYNC, _again(401)), Verdict.PASS),  # not confirmed on a second connection
        ((DESYNC, DESYNC), Verdict.FAIL),
        ((FAILED, FAILED), Verdict.FAIL),  # leftover response bytes break the next response
        ((DROPPED,), Verdict.PASS),  # a server MAY close any connection (RFC 9112 §9.5)
    ],
)
def test_connection_reuse_verdicts(rounds: tuple[ReuseRound, ...], verdict: Verdict) -> None:
    result = connection_reuse.run(_evidence(*rounds))
    assert result.verdict is verdict, result.message


@pytest.mark.parametrize(
    ("rounds", "reusable"),
    [
        ((_again(401),), True),
        ((_again(401, connection="127.0.0.1:5001"),), False),  # closed: nothing to gain
        ((DROPPED,), False),
        ((DESYNC, _again(401)), False),  # once is enough to stop reusing
        ((DESYNC, DESYNC), False),
    ],
)
def test_kept_alive_connections_are_reused_only_when_seen_in_sync(
    rounds: tuple[ReuseRound, ...], reusable: bool
) -> None:
    assert _evidence(*rounds).reusable is reusable


def test_a_failure_names_both_answers() -> None:
    message = connection_reuse.run(_evidence(DESYNC, DESYNC)).message
    assert "got 400 text/html (401 application/json on a fresh connection)" in message
    assert "on 2 connections" in message


def _echo_connection_header() -> ASGIApp:
    async def echo(request: Request) -> JSONResponse:
        return JSONResponse({"connection": request.headers.get("connection")})

    return Starlette(routes=[Route("/", echo)])


@pytest.mark.anyio
async def test_single_connection_keeps_one_connection_and_fresh_ones_do_not(
    http: HttpClient, serve: Callable[[ASGIApp], str]
) -> None:
    url = serve(_echo_connection_header()) + "/"
    async with http.single_connection() as conn:
        first, again = [await conn.request("GET", url) for _ in range(2)]
    assert first.connection is not None
    assert first.connection == again.connection
    http.use_fresh_connections()
    fresh = [await http.request("GET", url) for _ in range(2)]
    assert fresh[0].connection != fresh[1].connection
    assert all(r.json_str("connection") == "close" for r in fresh)
