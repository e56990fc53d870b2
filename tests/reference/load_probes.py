"""Probes for the defects the load invariants catch (issue 11): concurrency and cost.

Concurrent requests come from threads over the driver's own client; the cost probe's bound is
the defect's own blocking time, which no correct server comes near for ten requests.
"""

from __future__ import annotations

import secrets
import time
from concurrent.futures import ThreadPoolExecutor

from simulators.reference import Defect, ReferenceConfig
from simulators.reference.contention import JWKS_REFETCH_S, STORM_LIMIT

from .driver import Driver, b64url_json

D = Defect
RACERS = STORM_LIMIT  # the storm defect lets exactly this many through: the race stays visible
COST_CALLS = 10


def _refresh(d: Driver, refresh_token: str) -> int:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    form |= {"client_id": d.client().client_id, "resource": d.server.mcp_url}
    return d.token(**form).status_code


def _race_won_twice(d: Driver) -> bool:
    token = d.tokens()["refresh_token"]
    with ThreadPoolExecutor(RACERS) as pool:
        statuses = list(pool.map(lambda _: _refresh(d, token), range(RACERS)))
    return statuses.count(200) >= 2


def _storm_503(d: Driver) -> bool:
    tokens = [d.tokens()["refresh_token"] for _ in range(STORM_LIMIT + 2)]
    with ThreadPoolExecutor(len(tokens)) as pool:
        return 503 in set(pool.map(lambda t: _refresh(d, t), tokens))


def _unknown_kid_costly(d: Driver) -> bool:
    header = b64url_json({"alg": "RS256", "typ": "at+jwt", "kid": secrets.token_hex(8)})
    claims = b64url_json({"iss": d.server.issuer, "sub": "alice", "aud": d.server.mcp_url})
    forged = f"{header}.{claims}.c2ln"
    started = time.monotonic()
    for _ in range(COST_CALLS):
        assert d.rpc("initialize", {}, token=forged).status_code == 401
    return time.monotonic() - started >= COST_CALLS * JWKS_REFETCH_S


LOAD_PROBES = {
    D.REFRESH_RACE: _race_won_twice,
    D.REFRESH_STORM_503: _storm_503,
    D.INVALID_TOKEN_COST: _unknown_kid_costly,
}

LOAD_GROUPS: list[tuple[ReferenceConfig, frozenset[Defect]]] = [
    (ReferenceConfig(), frozenset(LOAD_PROBES)),
]
