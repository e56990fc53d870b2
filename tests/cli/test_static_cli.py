"""The README's static-mode configuration, end to end: a TOML file whose tokens come from the
environment, the real command line, a real reference server, and no token in anything written.

The tokens are obtained out of band as a user of an IdP the harness cannot drive would bring them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from simulators.reference import ReferenceConfig
from tests.cli.test_cli import HARNESS, TIMEOUT_S
from tests.integration.reference_full import full_reference
from tests.integration.static_tokens import REDIRECT_URI, obtain

# bearer-only checks, one per area; each needs a token the static configuration supplies
BEARER_CHECKS = (
    "rs.wrong-audience",
    "rs.query-token",
    "sess.survives-refresh",
    "scope.insufficient-403",
    "sess.user-binding",
    "misuse.scope-escalation",
    "misuse.cross-resource",
)
# The tokens are issued before the CLI starts, so they must outlive its start-up on a busy
# machine; none of the selected checks waits for an expiry.
STATIC_TTL_S = 120
CONFIG = """\
[target]
url = "{url}"
other_resource = "{other}"

[login]
mode = "static"
access_token = "${{MCP_TEST_TOKEN}}"
refresh_token = "${{MCP_TEST_REFRESH}}"
token_endpoint = "{token_endpoint}"
narrow_token = "${{MCP_TEST_NARROW}}"
other_resource_token = "${{MCP_TEST_OTHER}}"

[login.second_user]
access_token = "${{MCP_TEST_TOKEN2}}"

[client]
client_id = "{client_id}"  # a public client: refreshes need no secret
redirect_uri = "{redirect_uri}"

[scopes]
narrow = ["notes:read"]

[[tools]]
name = "delete_note"
requires = ["notes:write"]
arguments = {{ id = "1" }}
"""


def test_static_configuration_runs_bearer_checks_and_writes_no_token(tmp_path: Path) -> None:
    reference = ReferenceConfig(access_token_ttl=STATIC_TTL_S)
    with full_reference(frozenset({"query-token-accepted"}), reference=reference) as (server, _):
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
        env = os.environ | {
            "MCP_TEST_TOKEN": tokens.main.access_token,
            "MCP_TEST_REFRESH": tokens.main.refresh_token or "",
            "MCP_TEST_NARROW": tokens.narrow.access_token,
            "MCP_TEST_OTHER": tokens.other_resource.access_token,
            "MCP_TEST_TOKEN2": tokens.second_user.access_token,
        }
        out = tmp_path / "out"
        selection = " or ".join((*BEARER_CHECKS, "authz.state.echo"))
        completed = subprocess.run(  # noqa: S603 - our own interpreter and program
            [*HARNESS, "run", "--config", str(config), "--out", str(out), "-k", selection],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            env=env,
            check=False,
        )
    assert completed.returncode == 1, completed.stderr  # the planted query-token defect
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    verdicts = {r["check"]: (r["verdict"], r.get("message", "")) for r in report["results"]}
    assert verdicts["rs.query-token"][0] == "fail"
    for check_id in (c for c in BEARER_CHECKS if c != "rs.query-token"):
        assert verdicts[check_id][0] == "pass", (check_id, verdicts[check_id])
    state_echo, why = verdicts["authz.state.echo"]
    assert state_echo == "skip"
    assert "[login].mode" in why  # a check needing an OAuth flow says what it lacks

    secrets = tokens.secrets()
    written = [completed.stdout, completed.stderr] + [
        p.read_text(encoding="utf-8") for p in out.iterdir() if p.is_file()
    ]
    for text in written:
        assert not [s[:4] for s in secrets if s in text], "a configured secret was written"
        assert not re.search(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ", text), "a JWT was written"
