"""What one connect of a simulated client produced: its steps and how far the flow got."""

from __future__ import annotations

from dataclasses import dataclass

from harness.exchange import Exchange
from harness.oauth.authorize import AuthorizationResponse
from harness.oauth.discovery import Discovery
from harness.oauth.registration import ClientCredentials
from harness.oauth.tokens import TokenSet
from harness.probes.scenarios.journey import Step
from harness.profiles.knobs import RedirectPlan, ResourceChoice


@dataclass(frozen=True, slots=True, kw_only=True)
class Connection:
    """What one connect produced: the steps, and whatever the flow got as far as."""

    steps: tuple[Step, ...]
    discovery: Discovery | None = None
    client: ClientCredentials | None = None
    plan: RedirectPlan | None = None
    scope: str | None = None
    resource: ResourceChoice | None = None
    callback: AuthorizationResponse | None = None
    callback_exchanges: tuple[Exchange, ...] = ()
    tokens: TokenSet | None = None
    token_endpoint: str | None = None

    @property
    def ok(self) -> bool:
        return self.tokens is not None and self.failure is None

    @property
    def failure(self) -> Step | None:
        return next((s for s in self.steps if s.outcome == "failed"), None)

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return tuple(e for step in self.steps for e in step.exchanges)

    def why_not(self) -> str:
        failed = self.failure
        return f"{failed.name}: {failed.detail}" if failed else "no token"
