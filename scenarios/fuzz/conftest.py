"""`pytest scenarios/fuzz --mcp-target URL`: the fuzz areas of `mcp-auth-harness fuzz` as pytest
items (the same runner and oracles, `harness.fuzz.runner`). Without a target, the embedded
reference server. `mcp-auth-harness run` never collects this folder
(scenarios/pytest.ini `norecursedirs`).

Hypothesis settings profiles, chosen with hypothesis's own `--hypothesis-profile`: `ci` (small,
bounded), `dev` (the default here) and `deep`; each also bounds the seconds spent per area.
`--hypothesis-seed` (else `--mcp-seed`, else a random one) seeds every area.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest
from hypothesis import settings

from harness.config import Config, load_config
from harness.errors import NotApplicable, TargetError
from harness.fuzz.context import open_context
from harness.fuzz.runner import FuzzSettings
from scenarios.fuzz.judge import FuzzTarget
from simulators.reference import ReferenceConfig, ReferenceServer

# name -> (max_examples per area, seconds per area)
PROFILES = {"ci": (40, 10.0), "dev": (500, 60.0), "deep": (5000, 600.0)}
DEFAULT_PROFILE = "dev"

for _name, (_examples, _) in PROFILES.items():
    settings.register_profile(_name, max_examples=_examples, deadline=None, database=None)
if settings.get_current_profile_name() == "default":  # before --hypothesis-profile applies
    settings.load_profile(DEFAULT_PROFILE)


@pytest.fixture(scope="session")
def mcp_config(pytestconfig: pytest.Config) -> Iterator[Config]:
    """`--mcp-config`; with no target, the embedded reference at its own token lifetime: the bearer
    area mutates one real token for its whole time bound, longer than the 12 s tokens that
    scenarios/conftest.py issues for rs.expired (an expired base token would hide defects)."""
    config = load_config(pytestconfig.getoption("mcp_config"))
    if pytestconfig.getoption("mcp_target") or config.target_url:
        yield config
        return
    with ReferenceServer(ReferenceConfig()) as server:
        yield replace(config, target_url=server.mcp_url)


@pytest.fixture(scope="session")
def fuzz_options(pytestconfig: pytest.Config) -> FuzzSettings:
    """The runner's bounds from the loaded hypothesis profile (examples) and its time bound."""
    name = settings.get_current_profile_name()
    examples = settings.default.max_examples
    seconds = PROFILES.get(name, PROFILES[DEFAULT_PROFILE])[1]
    seed = pytestconfig.getoption("hypothesis_seed", None)
    if seed is None:
        seed = pytestconfig.getoption("mcp_seed")
    if seed is None:
        seed = random.SystemRandom().randrange(2**31)
    if not str(seed).isdigit():
        raise pytest.UsageError(f"the fuzz suite takes a whole-number seed, not {seed!r}")
    return FuzzSettings(max_examples=examples, seed=int(seed), time_budget_s=seconds)


@pytest.fixture(scope="session")
def fuzz_target(
    mcp_target_url: str | None, mcp_config: Config, fuzz_options: FuzzSettings
) -> Iterator[FuzzTarget]:
    """One FuzzContext for the session, its HTTP on a loop in a worker thread (the runner drives
    hypothesis synchronously and hands each example's requests to that loop)."""
    if not mcp_target_url:
        raise pytest.UsageError("no target: pass --mcp-target URL or set [target].url")
    profile = settings.get_current_profile_name()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fuzz-http", daemon=True)
    thread.start()
    manager = open_context(mcp_target_url, loop=loop, seed=fuzz_options.seed, config=mcp_config)
    try:
        try:
            context = asyncio.run_coroutine_threadsafe(manager.__aenter__(), loop).result()
        except (NotApplicable, TargetError) as exc:
            yield FuzzTarget(None, fuzz_options, profile, unavailable=str(exc))
            return
        try:
            yield FuzzTarget(context, fuzz_options, profile)
        finally:
            asyncio.run_coroutine_threadsafe(manager.__aexit__(None, None, None), loop).result()
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()
