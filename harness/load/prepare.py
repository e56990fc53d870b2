"""The harness side of a load run: discovery, one client and the logins, with the harness's own
OAuth flow code (harness.probes.authserver.flow) in an asyncio process, then the material file
the locust processes read. `python -m harness.load.prepare` does the same for a plain
`locust -f harness/load/locustfile.py --mcp-target URL` run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.budget import RequestBudget
from harness.config import Config, load_config
from harness.egress import EgressPolicy
from harness.engine import Run, Target
from harness.errors import NotApplicable
from harness.http import Deadline, HttpClient
from harness.load.material import Material, Plan, TokenMaterial
from harness.oauth.clientauth import client_auth
from harness.oauth.registration import ClientCredentials
from harness.oauth.tokens import TokenSet
from harness.probes.authserver.flow import (
    FlowSetup,
    authorization_request,
    full_flow,
    harness_registration_body,
    prepare,
    redirect_of,
    shared_client,
)
from harness.probes.registry import PROBES
from harness.redact import SecretVault

LOGIN_CONCURRENCY = 8
PROTOCOL_VERSION = "2025-11-25"


@dataclass(slots=True, kw_only=True)
class LoadContext:
    run: Run
    setup: FlowSetup
    client: ClientCredentials

    async def login(self, resource: str | None = None) -> TokenSet:
        """One authorization-code login (a token family of its own)."""
        request = authorization_request(self.run, self.setup, self.client)
        if resource is not None:
            request = dataclasses.replace(request, resource=resource)
        flow = await full_flow(self.run, self.setup, self.client, request=request)
        if flow.token is None or flow.token.tokens is None:
            raise NotApplicable(f"the harness could not log in: {flow.problem}")
        return flow.token.tokens

    async def logins(self, count: int) -> list[TokenSet]:
        gate = asyncio.Semaphore(LOGIN_CONCURRENCY)

        async def one() -> TokenSet:
            async with gate:
                return await self.login()

        return list(await asyncio.gather(*(one() for _ in range(count))))

    async def wrong_audience(self) -> str | None:
        """A token for `[target].other_resource`, if configured and issued."""
        other = self.run.config.other_resource
        if not other:
            return None
        try:
            return (await self.login(resource=other)).access_token
        except NotApplicable:
            return None

    def material(
        self,
        plan: Plan,
        tokens: Sequence[TokenSet],
        expiring: Sequence[TokenSet],
        wrong_audience: str | None,
    ) -> Material:
        setup, client, discovery = self.setup, self.client, self.setup.discovery
        auth = client_auth(client)
        urls = (
            ("discovery: prm", discovery.prm_url),
            ("discovery: as-metadata", discovery.as_metadata_url),
        )
        registration = harness_registration_body(setup.scope, (redirect_of(client),), "load")
        return Material(
            mcp_url=self.run.target.mcp_url,
            token_endpoint=setup.token_endpoint,
            authorization_endpoint=setup.authorization_endpoint,
            registration_endpoint=setup.registration_endpoint,
            discovery_urls=tuple((name, url) for name, url in urls if url),
            client_id=client.client_id,
            auth_headers=auth.headers,
            auth_form=auth.form,
            registration_body=registration,
            redirect_uri=redirect_of(client),
            resource=setup.resource,
            scope=setup.scope,
            login_mode=self.run.config.login.mode,
            protocol_version=PROTOCOL_VERSION,
            plan=plan,
            tokens=tuple(token_material(t) for t in tokens),
            expiring=tuple(token_material(t) for t in expiring),
            wrong_audience=wrong_audience,
        )


def token_material(tokens: TokenSet) -> TokenMaterial:
    expires = tokens.expires_at
    # monotonic -> epoch: the locust processes share the wall clock, not this monotonic one
    at = None if expires is None else time.time() + (expires - time.monotonic())
    return TokenMaterial(
        access_token=tokens.access_token, refresh_token=tokens.refresh_token, expires_at=at
    )


@contextlib.asynccontextmanager
async def open_load(
    target_url: str, *, config: Config | None = None, seed: int = 0, deadline_s: float = 3600.0
) -> AsyncIterator[LoadContext]:
    """Discovery and the shared client; `NotApplicable` when no OAuth flow can run there."""
    config = config or load_config(None)
    policy = EgressPolicy.for_target(target_url)
    vault = SecretVault(config.secrets())
    async with HttpClient(
        vault=vault, policy=policy, deadline=Deadline(deadline_s), budget=RequestBudget()
    ) as http:
        run = Run(
            http=http, config=config, target=Target(mcp_url=target_url, seed=seed), probes=PROBES
        )
        try:
            setup = await prepare(run)
            client = await shared_client(run)
            yield LoadContext(run=run, setup=setup, client=client)
        finally:
            await run.close()
            await http.budget.close()


async def _standalone(target: str, token_sets: int, out: Path, plan_json: str) -> None:
    plan = (
        Plan(**json.loads(plan_json))
        if plan_json
        else Plan(
            duration_s=86400.0,
            baseline_s=0.0,
            herd_at_s=None,
            think_s=0.1,
            max_requests=10**7,
            max_registrations=20,
        )
    )
    async with open_load(target) as ctx:
        tokens = await ctx.logins(token_sets)
        ctx.material(plan, tokens, (), await ctx.wrong_audience()).write(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.load.prepare")
    parser.add_argument("--target", required=True)
    parser.add_argument("--token-sets", type=int, default=50)
    parser.add_argument("--out", required=True)
    parser.add_argument("--plan", default="", help="the run's plan as JSON (from the master)")
    args = parser.parse_args(argv)
    try:
        asyncio.run(_standalone(args.target, args.token_sets, Path(args.out), args.plan))
    except NotApplicable as exc:
        sys.stderr.write(f"cannot prepare load material: {exc}\n")
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
