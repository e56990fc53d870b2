"""The connection-reuse probe: one unauthenticated MCP POST with a JSON body, then the same
request again on the same kept-alive connection, on a client of its own (one connection).

A server that answers the first request without reading its body leaves the body on the wire,
and the second request is parsed from those bytes; a wrong `Content-Length` or an unframed
response leaves bytes that corrupt the next response instead.
"""

from __future__ import annotations

import logging

from harness.engine import Probe, Run
from harness.errors import TargetError
from harness.http import Exchange, HttpClient
from harness.mcp.client import McpClient
from harness.probes.resource.target import McpProbe
from harness.probes.transport.evidence import ConnectionReuse, Outcome, ReuseRound

log = logging.getLogger(__name__)

ROUNDS = 2  # a desync is reported only when a second connection shows it again


async def probe_connection_reuse(run: Run, _profile: str | None) -> ConnectionReuse:
    exchanges: list[Exchange] = []
    rounds: list[ReuseRound] = []
    for _ in range(ROUNDS):
        async with run.http.single_connection() as conn:
            conn.add_recorder(exchanges.append)
            rounds.append(await _round(run, conn))
        if rounds[-1].desync() is None:
            break
    return ConnectionReuse(url=run.target.mcp_url, rounds=tuple(rounds), exchanges=tuple(exchanges))


async def _round(run: Run, conn: HttpClient) -> ReuseRound:
    target = McpProbe(run)
    client = McpClient(conn, target.url, protocol_version=target.revision)
    # a failure of the first request is the target's reachability, reported as `error`
    first = await client.post(target.message(), authorization=None, session=False)
    try:
        again = await client.post(target.message(), authorization=None, session=False)
    except TargetError as exc:
        return ReuseRound(first=Outcome.of(first.response), follow_up=Outcome(error=str(exc)))
    return ReuseRound(first=Outcome.of(first.response), follow_up=Outcome.of(again.response))


async def guard_connections(run: Run) -> None:
    """Run before any other probe: unless a kept-alive connection was seen to stay in sync,
    every later request of the run gets a connection of its own."""
    try:
        reuse = await run.need(ConnectionReuse)
    except Exception:  # `http.connection-reuse` reports why; fresh connections are always safe
        log.debug("connection reuse could not be judged", exc_info=True)
        run.http.use_fresh_connections()
        return
    if not reuse.reusable:
        log.info("the target's kept-alive connections are not reusable: using fresh ones")
        run.http.use_fresh_connections()


PROBES: dict[type, Probe] = {ConnectionReuse: probe_connection_reuse}
