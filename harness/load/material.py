"""What the locust processes need from the harness: endpoints, token sets and the plan.

Written by the harness process to a 0600 file whose path is passed in `MCP_LOAD_MATERIAL`
(never on a command line, never logged); read once by each locust process. Each local worker
gets its own file with its own token sets, so no two users ever refresh the same chain.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

MATERIAL_ENV = "MCP_LOAD_MATERIAL"
RESULTS_ENV = "MCP_LOAD_RESULTS"


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenMaterial:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: float | None  # epoch seconds (shared by processes, unlike monotonic time)


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """When things happen, in seconds since the test started (on each process's clock)."""

    duration_s: float
    baseline_s: float  # valid users only until then; the full mix (the flood) after
    herd_at_s: float | None  # every valid user refreshes at once (the expiry herd)
    think_s: float  # mean pause between a user's requests (0: as fast as the target answers)
    max_requests: int  # this process stops its users after this many requests
    max_registrations: int  # registrations this process may send


@dataclass(frozen=True, slots=True, kw_only=True)
class Material:
    mcp_url: str
    token_endpoint: str
    authorization_endpoint: str
    registration_endpoint: str | None
    discovery_urls: tuple[tuple[str, str], ...]  # (request name, URL)
    client_id: str
    #: client authentication at the token endpoint (harness.oauth.clientauth), secrets included
    auth_headers: tuple[tuple[str, str], ...] = field(repr=False)
    auth_form: tuple[tuple[str, str], ...] = field(repr=False)
    registration_body: dict[str, object] | None  # what the `register` users send
    redirect_uri: str
    resource: str
    scope: str | None
    login_mode: str  # "auto" logins can be load; "form" and "static" cannot
    protocol_version: str
    plan: Plan
    tokens: tuple[TokenMaterial, ...] = field(repr=False)  # one chain per valid user
    expiring: tuple[TokenMaterial, ...] = field(repr=False)  # become the `expired` class
    wrong_audience: str | None = field(default=None, repr=False)  # a token for another resource

    def secrets(self) -> list[str]:
        values: list[str | None] = [v for _, v in (*self.auth_headers, *self.auth_form)]
        for t in (*self.tokens, *self.expiring):
            values += [t.access_token, t.refresh_token]
        values.append(self.wrong_audience)
        return [v for v in values if v and v != self.client_id]

    def write(self, path: Path) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(asdict(self), out)

    @classmethod
    def read(cls, path: str | Path) -> Material:
        data = json.loads(Path(path).read_text())
        data["plan"] = Plan(**data["plan"])
        for key in ("discovery_urls", "auth_headers", "auth_form"):
            data[key] = tuple((str(a), str(b)) for a, b in data[key])
        for key in ("tokens", "expiring"):
            data[key] = tuple(TokenMaterial(**t) for t in data[key])
        return cls(**data)
