"""What every scenario probe shares: the profile catalogue, a profile's client, its connection.

The catalogue is evidence like any other: the session provides the one it loaded (built-in plus
`--profile-dir` folders); without a session the built-in profiles are read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

from harness.engine import Probe, Run
from harness.errors import NotApplicable
from harness.http import Exchange
from harness.profiles.catalogue import load_profiles
from harness.profiles.connect import ProfileClient
from harness.profiles.connection import Connection
from harness.profiles.model import Profile

FLOWS_AT_ONCE = 6  # concurrent OAuth flows: each finishes quickly, so short tokens stay valid


@dataclass(frozen=True, slots=True, kw_only=True)
class ProfileCatalogue:
    """The run's profiles, and the gate that bounds how many of their flows run at once."""

    profiles: Mapping[str, Profile]
    gate: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(FLOWS_AT_ONCE), compare=False
    )

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return ()


async def probe_catalogue(_run: Run, _profile: str | None) -> ProfileCatalogue:
    return ProfileCatalogue(profiles=load_profiles())


def catalogue_probe(profiles: Mapping[str, Profile]) -> Probe:
    """A probe handing out an already loaded catalogue (the session's)."""

    async def probe(_run: Run, _profile: str | None) -> ProfileCatalogue:
        return ProfileCatalogue(profiles=profiles)

    return probe


async def profile_client(run: Run, name: str | None) -> ProfileClient:
    catalogue = await run.need(ProfileCatalogue)
    if name is None or name not in catalogue.profiles:
        raise LookupError(f"no client profile named {name!r}")
    return ProfileClient(
        http=run.http,
        config=run.config,
        mcp_url=run.target.mcp_url,
        profile=catalogue.profiles[name],
        spec=run.target.spec,
        seed=run.target.seed,
        gate=catalogue.gate,
    )


async def probe_connection(run: Run, profile: str | None) -> Connection:
    """The profile's main connection (its discovery and callback are judged as they happened)."""
    client = await profile_client(run, profile)
    return await client.connect()


async def fresh_connection(client: ProfileClient) -> Connection:
    """A connection of its own for a scenario that spends or waits out its tokens (call it
    inside `client.busy()`)."""
    connection = await client.connect()
    if not connection.ok:
        raise NotApplicable(
            f"needs a working connection, which failed ({connection.why_not()}); "
            "see scenario.happy-path"
        )
    return connection


PROBES: dict[type, Probe] = {ProfileCatalogue: probe_catalogue, Connection: probe_connection}
