"""`proxy --listen`: an address other hosts can reach is refused unless --allow-remote-clients
(with --forward it would be an open proxy)."""

from __future__ import annotations

import json
import re
import subprocess
import urllib.request
from pathlib import Path

import pytest

from simulators.reference import ReferenceServer
from tests.proxy.test_end_to_end import CLI, WAIT_S, finish, start


@pytest.mark.parametrize("listen", ["0.0.0.0:0", "[::]:0", "proxy.example:8080", "10.1.2.3:0"])
@pytest.mark.parametrize("mode", [["--forward"], ["--upstream", "http://127.0.0.1:9/mcp"]])
def test_a_reachable_listen_address_is_refused(
    listen: str, mode: list[str], tmp_path: Path
) -> None:
    refused = subprocess.run(  # noqa: S603 - the harness itself
        [*CLI, "proxy", *mode, "--listen", listen, "--out", str(tmp_path), "--duration", "1"],
        capture_output=True,
        text=True,
        timeout=WAIT_S,
    )
    assert refused.returncode == 2, refused.stderr
    assert "--allow-remote-clients" in refused.stderr
    assert "proxy listening" not in refused.stdout
    assert not (tmp_path / "report.json").exists()


def test_allow_remote_clients_listens_on_every_interface(
    reference: ReferenceServer, tmp_path: Path
) -> None:
    options = "--listen 0.0.0.0:0 --allow-remote-clients --control-port -1 --duration 2"
    process, found = start(
        [*CLI, "proxy", "--upstream", reference.mcp_url, *options.split(), "--out", str(tmp_path)],
        r"proxy listening: http://0\.0\.0\.0:(\d+)\S* ->",
    )
    port = found.group(1)
    url = re.sub(r"^http://[^/]+", f"http://127.0.0.1:{port}", reference.prm_url)
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - loopback http
        assert answer.status == 200
    finish(process)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["proxy"]["listen"][0].startswith("0.0.0.0:")
    assert len(report["proxy"]["exchanges"]) == 1
