"""The redaction audit: real runs through the real CLI with secrets the test knows (the canaries),
searched for in every output format, the console and the debug log.

Canaries: every authorization code, access token and refresh token the reference server issued,
every PKCE code_verifier it received, its login cookies, the client secrets of the clients it
registered (the pre-registered confidential client of the [client] section and any registered
over DCR), the [login] form passwords, and in static mode the tokens of [login]. The reference
server runs in this process (its own thread), so the store methods that see each secret are
wrapped to record it; the harness runs as its own process, as a user runs it.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from simulators.reference import USERS, ReferenceConfig, ReferenceServer
from simulators.reference.grants import Pkce
from simulators.reference.login import LoginFlow
from simulators.reference.store import OAuthStore
from tests.cli.test_cli import HARNESS
from tests.cli.test_static_cli import BEARER_CHECKS, CONFIG, STATIC_TTL_S
from tests.integration.reference_full import full_reference
from tests.integration.static_tokens import REDIRECT_URI, obtain

FILES = ("report.json", "report.html", "report.md", "junit.xml", "report.sarif")
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ")
FORM_CONFIG = """\
[target]
url = "{url}"

[login]
mode = "form"
username = "alice"
password = "${{MCP_TEST_PASSWORD}}"

[login.second_user]
username = "bob"
password = "${{MCP_TEST_PASSWORD2}}"

[client]
client_id = "{client_id}"
client_secret = "${{MCP_TEST_CLIENT_SECRET}}"
redirect_uri = "{redirect_uri}"
"""


class Canaries:
    """Every secret the reference server issued or received while the run went on."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def add(self, kind: str, value: object) -> None:
        if isinstance(value, str) and len(value) >= 8:
            self.values.setdefault(value, kind)

    def kinds(self) -> set[str]:
        return set(self.values.values())


@pytest.fixture
def canaries(monkeypatch: pytest.MonkeyPatch) -> Canaries:
    seen = Canaries()

    def recording(kind: str, original: Any) -> Any:
        def wrapper(self: OAuthStore, token: str, record: object) -> None:
            seen.add(kind, token)
            original(self, token, record)

        return wrapper

    monkeypatch.setattr(OAuthStore, "add_code", recording("code", OAuthStore.add_code))
    access, refresh = OAuthStore.add_access_token, OAuthStore.add_refresh_token
    monkeypatch.setattr(OAuthStore, "add_access_token", recording("access token", access))
    monkeypatch.setattr(OAuthStore, "add_refresh_token", recording("refresh token", refresh))
    check_verifier = Pkce.validate_code_verifier

    def verifier(self: Pkce, grant: Any, result: object) -> None:
        seen.add("code_verifier", grant.request.form.get("code_verifier"))
        check_verifier(self, grant, result)

    monkeypatch.setattr(Pkce, "validate_code_verifier", verifier)
    begin = LoginFlow.begin

    def login(self: LoginFlow, *args: Any, **kwargs: Any) -> Any:
        response = begin(self, *args, **kwargs)
        for txn in self._store.login_transactions.values():
            seen.add("cookie", txn.browser_id)
        return response

    monkeypatch.setattr(LoginFlow, "begin", login)
    return seen


def harness_run(config: Path, out: Path, env: dict[str, str], *args: str) -> str:
    """Run the CLI with a debug log file; returns the console (stdout and stderr) and log."""
    log = out.parent / f"{out.name}.log"
    env = os.environ | env | {"PYTEST_ADDOPTS": f"--log-file={log} --log-file-level=DEBUG"}
    done = subprocess.run(  # noqa: S603 - our own interpreter and program
        [*HARNESS, "run", "--config", str(config), "--out", str(out), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    # 3: some checks could not be judged here (error verdicts); the audit is about what is written
    assert done.returncode in {0, 1, 3}, done.stderr
    assert log.exists(), "the debug log was written"
    assert log.stat().st_size > 0
    return "\n".join((done.stdout, done.stderr, log.read_text(encoding="utf-8")))


def assert_no_canary(canaries: dict[str, str], out: Path, console_and_log: str) -> None:
    texts = {name: (out / name).read_text(encoding="utf-8") for name in FILES}
    texts["console and log"] = console_and_log
    for name, text in texts.items():
        leaked = sorted({kind for secret, kind in canaries.items() if secret in text})
        assert not leaked, f"{name} contains a {', '.join(leaked)}"
        assert not JWT.search(text), f"a JWT in {name}"
    assert "sha256:" in texts["report.json"], "secrets are there as fingerprints"


def test_form_login_run_writes_no_secret(canaries: Canaries, tmp_path: Path) -> None:
    with ReferenceServer(ReferenceConfig(login="form")) as server:
        client = server.register_client(
            [REDIRECT_URI], token_endpoint_auth_method="client_secret_post"
        )
        config = tmp_path / "target.toml"
        config.write_text(
            FORM_CONFIG.format(
                url=server.mcp_url, client_id=client.client_id, redirect_uri=REDIRECT_URI
            ),
            encoding="utf-8",
        )
        assert client.client_secret
        env = {
            "MCP_TEST_PASSWORD": USERS["alice"],
            "MCP_TEST_PASSWORD2": USERS["bob"],
            "MCP_TEST_CLIENT_SECRET": client.client_secret,
        }
        console = harness_run(config, tmp_path / "out", env)
        for registered in server.state.oauth.clients.values():
            canaries.add("client secret", registered.client_secret)
    canaries.add("password", USERS["alice"])
    canaries.add("password", USERS["bob"])
    assert {"code", "access token", "refresh token", "code_verifier", "cookie"} <= canaries.kinds()
    assert {"client secret", "password"} <= canaries.kinds()
    assert_no_canary(canaries.values, tmp_path / "out", console)


def test_static_mode_run_writes_no_secret(canaries: Canaries, tmp_path: Path) -> None:
    reference = ReferenceConfig(access_token_ttl=STATIC_TTL_S)
    with full_reference(frozenset(), reference=reference) as (server, _):
        tokens = obtain(server)
        config = tmp_path / "target.toml"
        config.write_text(
            CONFIG.format(
                url=server.mcp_url,
                other=server.other_mcp_url,
                token_endpoint=tokens.token_endpoint,
                client_id=tokens.client.client_id,
                redirect_uri=REDIRECT_URI,
            ),
            encoding="utf-8",
        )
        env = {
            "MCP_TEST_TOKEN": tokens.main.access_token,
            "MCP_TEST_REFRESH": tokens.main.refresh_token or "",
            "MCP_TEST_NARROW": tokens.narrow.access_token,
            "MCP_TEST_OTHER": tokens.other_resource.access_token,
            "MCP_TEST_TOKEN2": tokens.second_user.access_token,
        }
        console = harness_run(config, tmp_path / "out", env, "-k", " or ".join(BEARER_CHECKS))
    configured = tokens.secrets()  # the [login] tokens, issued out of band before the run
    assert configured
    assert set(configured) <= set(canaries.values), "recorded when the server issued them"
    assert "refresh token" in canaries.kinds(), "the refresh check refreshed the static token"
    assert_no_canary(canaries.values, tmp_path / "out", console)
