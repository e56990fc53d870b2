"""The pytest plugin: options, fixtures and result collection (a `pytest11` entry point).

`pytest scenarios/ --mcp-target URL` and `mcp-auth-harness run` are the same engine: the session
fixture runs every selected check once (concurrently), each test item reports one result, and the
session writes report.json and its renderings. Importing this module is cheap; the engine is
imported when a session actually needs it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from harness.cli import DEFAULT_DEADLINE_S
from harness.proxy.fixture import mcp_proxy, mcp_proxy_upstream  # noqa: F401 - fixtures

if TYPE_CHECKING:
    from harness.config import Config
    from harness.results import Result
    from harness.session import HarnessSession


@dataclass(slots=True)
class _State:
    selected: set[tuple[str, str | None]] = field(default_factory=set)
    session: HarnessSession | None = None
    started_at: str = ""
    started: float = 0.0


STATE = pytest.StashKey[_State]()


class MCPHookSpecs:
    @pytest.hookspec(historic=False)
    def pytest_mcp_result(self, result: Result) -> None:
        """Called with every check result as soon as it is known (progress displays)."""


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(MCPHookSpecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mcp-auth-harness", "MCP authorization test harness")
    group.addoption("--mcp-target", metavar="URL", help="the MCP endpoint under test")
    group.addoption("--mcp-config", metavar="FILE", help="target configuration (TOML)")
    group.addoption(
        "--mcp-profile",
        metavar="NAME",
        action="append",
        default=[],
        help="client profile to simulate (repeatable; default: all)",
    )
    group.addoption(
        "--mcp-profile-dir",
        metavar="DIR",
        action="append",
        default=[],
        help="a folder of user profile files (*.toml) to add (repeatable)",
    )
    group.addoption(
        "--mcp-spec",
        metavar="REV",
        default="auto",
        help="protocol revision: auto, 2025-03-26, 2025-06-18, 2025-11-25, 2026-07-28",
    )
    group.addoption("--mcp-out", metavar="DIR", help="write report.json/html/md and junit.xml here")
    group.addoption("--mcp-seed", metavar="N", type=int, default=None, help="random seed")
    group.addoption(
        "--mcp-max-registrations",
        metavar="N",
        type=int,
        default=None,
        help="send at most N client registrations (checks needing more skip)",
    )
    group.addoption(
        "--mcp-deadline",
        metavar="S",
        type=float,
        default=DEFAULT_DEADLINE_S,
        help=f"stop sending requests after S seconds (default: {DEFAULT_DEADLINE_S:g})",
    )
    group.addoption(
        "--mcp-allow-private",
        action="store_true",
        help="let a public target's metadata point the harness at private addresses",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "mcp_check(check_id, profile=None): the harness check a test item reports"
    )
    config.stash[STATE] = _State(
        started_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), started=time.monotonic()
    )


@pytest.hookimpl(trylast=True)  # after -k/-m deselection: run only what is selected
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not items:
        return
    state = items[0].config.stash[STATE]
    for item in items:
        marker = item.get_closest_marker("mcp_check")
        if marker is not None:
            state.selected.add((str(marker.args[0]), marker.kwargs.get("profile")))


def selected_profiles(config: pytest.Config) -> tuple[str, ...]:
    """The profiles this session simulates: `--mcp-profile` names, else every profile."""
    from harness.errors import ConfigError
    from harness.profiles.catalogue import load_profiles, select

    try:
        catalogue = load_profiles(config.getoption("mcp_profile_dir"))
        return tuple(p.name for p in select(catalogue, config.getoption("mcp_profile")))
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from exc


@pytest.fixture(scope="session")
def mcp_config(pytestconfig: pytest.Config) -> Config:
    """The parsed `--mcp-config` (defaults when absent)."""
    from harness.config import load_config

    return load_config(pytestconfig.getoption("mcp_config"))


@pytest.fixture(scope="session")
def mcp_target_url(pytestconfig: pytest.Config, mcp_config: Config) -> str | None:
    """`--mcp-target`, else `[target].url`; None means no target was given."""
    target: str | None = pytestconfig.getoption("mcp_target") or mcp_config.target_url
    return target


@pytest.fixture(scope="session")
def mcp_session(
    pytestconfig: pytest.Config, mcp_config: Config, mcp_target_url: str | None
) -> HarnessSession:
    """Every selected check, judged once against the target."""
    from harness.session import HarnessSession

    if not mcp_target_url:
        raise pytest.UsageError("no target: pass --mcp-target URL or set [target].url")
    state = pytestconfig.stash[STATE]
    session = HarnessSession(
        target_url=mcp_target_url,
        config=mcp_config,
        spec=pytestconfig.getoption("mcp_spec"),
        seed=pytestconfig.getoption("mcp_seed"),
        selected=frozenset(state.selected),
        on_result=lambda result: pytestconfig.hook.pytest_mcp_result(result=result),
        profiles=selected_profiles(pytestconfig),
        profile_dirs=pytestconfig.getoption("mcp_profile_dir"),
        max_registrations=pytestconfig.getoption("mcp_max_registrations"),
        deadline_s=pytestconfig.getoption("mcp_deadline"),
        allow_private=pytestconfig.getoption("mcp_allow_private"),
    )
    state.session = session
    session.run()
    return session


def record(item_or_request: pytest.FixtureRequest, result: Result) -> None:
    """Carry the result's metadata into JUnit and fail/skip the test item by its verdict."""
    node = item_or_request.node
    for key in ("check", "verdict", "level", "severity"):
        node.user_properties.append((key, str(getattr(result, key))))
    node.user_properties.append(("spec_refs", "; ".join(result.spec_refs)))
    verdict = result.verdict.value
    if verdict == "skip":
        pytest.skip(result.message)
    if verdict in {"fail", "error"}:
        reproduce = f"\nreproduce: {result.reproduce}" if result.reproduce else ""
        pytest.fail(f"[{verdict}] {result.check}: {result.message}{reproduce}", pytrace=False)


def pytest_sessionfinish(session: pytest.Session) -> None:
    state = session.config.stash.get(STATE, None)
    if state is None or state.session is None:
        return
    out = session.config.getoption("mcp_out")
    report = state.session.report(
        started_at=state.started_at, duration_s=time.monotonic() - state.started
    )
    if out:
        from harness.report import render_all

        render_all(report, Path(out))
