"""What every fuzz example shares: the run's HTTP layer, the discovered endpoints, a client
(registered once and reused), the canary listener and the happy-path values mutations start from.

Everything goes through the house layers: `HttpClient` (egress policy, redaction, budget), the
flow helpers of `harness.probes.authserver.flow` and the canary of `...authserver.canary`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from typing import TypeVar

from harness.budget import RequestBudget
from harness.config import Config, load_config
from harness.egress import EgressPolicy
from harness.engine import Run, Target
from harness.errors import NotApplicable
from harness.http import Deadline, HttpClient
from harness.oauth.registration import ClientCredentials
from harness.oauth.tokens import TokenSet
from harness.probes.authserver.canary import LoopbackListener
from harness.probes.authserver.flow import (
    FlowSetup,
    full_flow,
    harness_registration_body,
    prepare,
    redirect_of,
    registration_of,
    shared_client,
)
from harness.probes.registry import PROBES
from harness.redact import SecretVault

T = TypeVar("T")
DEFAULT_MAX_REGISTRATIONS = 4  # without --intrusive: the clients the fuzzer may ever register


@dataclass(slots=True, kw_only=True)
class FuzzContext:
    run: Run
    setup: FlowSetup
    client: ClientCredentials
    canary: LoopbackListener
    loop: asyncio.AbstractEventLoop
    intrusive: bool = False
    max_registrations: int = DEFAULT_MAX_REGISTRATIONS
    registrations: int = 0  # registrations the fuzzer sent that the target accepted
    masked: set[tuple[str, str]] = field(default_factory=set)  # (property, kind) already found
    _tokens: TokenSet | None = None
    _clients: list[ClientCredentials] = field(default_factory=list)

    @property
    def redirect_uri(self) -> str:
        return redirect_of(self.client)

    def call(self, work: Coroutine[object, object, T]) -> T:
        """Run one example's async work on the run's loop and wait for it (hypothesis drives
        examples synchronously, from a worker thread)."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result()

    def judged(self, prop: str, kind: str) -> bool:
        """Whether `prop` is still judged for mutation class `kind` (not found already)."""
        return (prop, kind) not in self.masked and (prop, "*") not in self.masked

    async def tokens(self) -> TokenSet:
        """A valid access token from the happy path (obtained once)."""
        if self._tokens is None:
            flow = await full_flow(self.run, self.setup, self.client)
            if flow.token is None or flow.token.tokens is None:
                raise NotApplicable(f"the happy path yields no token: {flow.problem}")
            self._tokens = flow.token.tokens
        return self._tokens

    def registration_room(self) -> bool:
        """Whether the register area may send one more registration the target could accept:
        within the cap, keeping one for the state area's second client until it exists."""
        reserved = 0 if len(self._clients) >= 2 else 1
        return self.registrations + reserved < self.max_registrations

    async def clients(self, count: int) -> list[ClientCredentials]:
        """`count` distinct clients (the shared one first), registered once and reused."""
        while len(self._clients) < count:
            if not self._clients:
                self._clients.append(self.client)
                continue
            endpoint = self.setup.registration_endpoint
            if not endpoint:
                raise NotApplicable("a second client needs a registration endpoint")
            if self.registrations >= self.max_registrations:
                raise NotApplicable("the registration cap is spent (see --intrusive)")
            body = harness_registration_body(
                self.setup.scope, (self.redirect_uri,), f"fuzz client {len(self._clients) + 1}"
            )
            registration = await registration_of(self.run, endpoint, body)
            if registration.credentials is None:
                raise NotApplicable(f"a second client could not register: {registration.error}")
            self.registrations += 1
            self._clients.append(registration.credentials)
        return self._clients[:count]


@contextlib.asynccontextmanager
async def open_context(
    target_url: str,
    *,
    loop: asyncio.AbstractEventLoop,
    seed: int,
    intrusive: bool = False,
    config: Config | None = None,
    deadline_s: float = 3600.0,
    max_registrations: int | None = None,
) -> AsyncIterator[FuzzContext]:
    """Discovery and a shared client against `target_url`; `NotApplicable` when the harness
    cannot run an OAuth flow there."""
    config = config or load_config(None)
    policy = EgressPolicy.for_target(target_url)
    vault = SecretVault(config.secrets())
    cap = (
        max_registrations
        if max_registrations is not None
        else (None if intrusive else DEFAULT_MAX_REGISTRATIONS)
    )
    async with (
        HttpClient(
            vault=vault, policy=policy, deadline=Deadline(deadline_s), budget=RequestBudget()
        ) as http,
        LoopbackListener() as canary,
    ):
        run = Run(
            http=http, config=config, target=Target(mcp_url=target_url, seed=seed), probes=PROBES
        )
        try:
            setup = await prepare(run)
            client = await shared_client(run)
            yield FuzzContext(
                run=run,
                setup=setup,
                client=client,
                canary=canary,
                loop=loop,
                intrusive=intrusive,
                max_registrations=cap if cap is not None else 10**9,
                registrations=1,
            )
        finally:
            await run.close()
            await http.budget.close()
