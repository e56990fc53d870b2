"""The proxy as a user runs it: `mitmdump -s` with the addon, and the `proxy` command stopped by
--until-idle, --duration and SIGINT, each writing report.json; no secret in any output."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from harness.oauth.registration import ClientCredentials
from harness.redact import SecretVault
from simulators.embedded import free_port
from simulators.reference import ReferenceServer
from tests.proxy.client import ProxiedClient, http_for

VENV_BIN = Path(sys.executable).parent
CLI = [sys.executable, "-m", "harness"]
PROXY = [*CLI, "proxy", "--listen", "127.0.0.1:0", "--upstream"]
WAIT_S = 60


def start(command: Sequence[str], ready: str) -> tuple[subprocess.Popen[str], re.Match[str]]:
    """Start `command`; the first stdout line matching `ready` (its readiness event)."""
    process = subprocess.Popen(  # noqa: S603 - our own programs, fixed arguments
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    for line in process.stdout:
        found = re.search(ready, line)
        if found:
            return process, found
    process.wait(timeout=WAIT_S)
    raise AssertionError(f"no {ready!r} line; stderr: {process.stderr and process.stderr.read()}")


def use(url: str, creds: ClientCredentials, vault: SecretVault, calls: int = 2) -> None:
    async def main() -> None:
        async with http_for(url, vault) as http:
            client = ProxiedClient(http, url, creds)
            await client.connect()
            for _ in range(calls):
                await client.tool("whoami")
            if client.session.tokens and client.session.tokens.refresh_token:
                await client.refresh()

    asyncio.run(main())


def finish(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=WAIT_S)
    assert process.returncode in {0, 1}, err
    return out + err


def assert_clean(out: Path, texts: Sequence[str], vault: SecretVault) -> None:
    known = [s for s in vault.known() if len(s) >= 8]
    assert known, "the client saw tokens, codes and a verifier"
    outputs = [p.read_text(encoding="utf-8") for p in out.iterdir()] + list(texts)
    leaked = [s[:4] for s in known for text in outputs if s in text]
    assert not leaked, f"secrets in the outputs (first characters): {leaked}"


def test_mitmdump_with_the_addon(
    reference: ReferenceServer, oauth_client: ClientCredentials, tmp_path: Path
) -> None:
    addon = subprocess.run(  # noqa: S603 - the harness itself
        [*CLI, "proxy", "--addon-path"], capture_output=True, text=True, check=True
    ).stdout.strip()
    origin = reference.mcp_url.removesuffix("/mcp")
    process, found = start(
        [
            str(VENV_BIN / "mitmdump"),
            "-s",
            addon,
            "--mode",
            f"reverse:{origin}",
            "--listen-host",
            "127.0.0.1",
            "--listen-port",
            "0",
            "--set",
            "mcp_faults=expire-token:after=1,rpc=tools/call;drop-refresh-token",
            "--set",
            f"mcp_out={tmp_path}",
            "--set",
            "mcp_seed=5",
            "--set",
            f"mcp_control_port={free_port()}",
        ],
        r"listening at 127\.0\.0\.1:(\d+)",
    )
    vault = SecretVault()
    try:
        use(f"http://127.0.0.1:{found.group(1)}/mcp", oauth_client, vault)
    finally:
        process.send_signal(signal.SIGINT)
    output = finish(process)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["seed"] == 5
    control = re.search(r"control API on (http://127\.0\.0\.1:\d+)", output)
    assert control is not None
    assert control.group(1) == report["proxy"]["control_url"]
    faults = {f["spec"]: f["fired"] for f in report["proxy"]["faults"]}
    assert faults == {"expire-token:after=1,rpc=tools/call": 1, "drop-refresh-token": 1}
    assert "tools/call whoami → 401 invalid_token" in output  # the live view in mitmdump's log
    assert_clean(tmp_path, [output], vault)


def test_proxy_command_until_idle(
    reference: ReferenceServer, oauth_client: ClientCredentials, tmp_path: Path
) -> None:
    process, found = start(
        [
            *CLI,
            "proxy",
            "--upstream",
            reference.mcp_url,
            "--listen",
            "127.0.0.1:0",
            "--until-idle",
            "1.5",
            "--fault",
            "inject-prompt:rpc=tools/call",
            "--seed",
            "7",
            "--out",
            str(tmp_path),
        ],
        r"proxy listening: (\S+) ->",
    )
    vault = SecretVault()
    use(found.group(1), oauth_client, vault)
    output = finish(process)  # it stops by itself once idle
    report = json.loads((tmp_path / "report.json").read_text())
    section = report["proxy"]
    assert report["seed"] == 7
    assert section["upstream"] == reference.mcp_url.removesuffix("/mcp")
    assert section["counts"]["flows"] == len(section["exchanges"]) > 5
    assert section["faults"][0]["fired"] == 2
    assert {"report.json", "report.html", "report.md", "junit.xml"} <= {
        p.name for p in tmp_path.iterdir()
    }
    assert "POST /token authorization_code → 200, access token sha256:" in output
    assert_clean(tmp_path, [output], vault)


def test_proxy_command_forward_mode_for_a_duration(
    reference: ReferenceServer, tmp_path: Path
) -> None:
    command = [*CLI, "proxy", "--forward", "--listen", "127.0.0.1:0", "--duration", "2"]
    process, found = start(
        [*command, "--out", str(tmp_path), "--control-port", "-1"],
        r"proxy listening: (\S+) -> forward mode",
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": found.group(1)}))
    with opener.open(reference.prm_url, timeout=10) as answer:
        assert json.load(answer)["resource"] == reference.mcp_url
    finish(process)  # it stops by itself after --duration
    report = json.loads((tmp_path / "report.json").read_text())
    assert 2 <= report["duration_s"] < 20
    assert (report["proxy"]["mode"], report["proxy"]["control_url"]) == ("regular", None)
    assert [e["request"]["url"] for e in report["proxy"]["exchanges"]] == [reference.prm_url]


def test_proxy_command_sigint_writes_the_report(
    reference: ReferenceServer, oauth_client: ClientCredentials, tmp_path: Path
) -> None:
    process, found = start(
        [*PROXY, reference.mcp_url, "--out", str(tmp_path), "--quiet"],
        r"proxy listening: (\S+) ->",
    )
    vault = SecretVault()
    try:
        use(found.group(1), oauth_client, vault, calls=1)
    finally:
        process.send_signal(signal.SIGINT)
    output = finish(process)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["proxy"]["counts"]["by_status"]["200"] >= 4
    assert "→" not in output  # --quiet: no live view
    assert_clean(tmp_path, [output], vault)


def test_fault_list_and_bad_specs() -> None:
    listed = subprocess.run(  # noqa: S603 - the harness itself
        [*CLI, "proxy", "--fault", "list"], capture_output=True, text=True
    )
    assert listed.returncode == 0
    assert all(f"\n{kind}:" in listed.stdout for kind in ("strip-bearer", "reset", "latency"))
    bad = subprocess.run(  # noqa: S603 - the harness itself
        [*CLI, "proxy", "--upstream", "http://127.0.0.1:9/mcp", "--fault", "expire-token:x=1"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert "unknown key 'x'" in bad.stderr


def test_a_taken_listen_address_exits_3(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = subprocess.run(  # noqa: S603 - the harness itself
            [
                *PROXY,
                "http://127.0.0.1:9/mcp",
                "--listen",
                f"127.0.0.1:{port}",
                "--out",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=WAIT_S,
        )
    assert busy.returncode == 3
    assert f"could not listen on 127.0.0.1:{port}" in busy.stderr
