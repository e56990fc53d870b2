"""`--deadline` and `--allow-private` end to end: the real command line against real servers."""

from __future__ import annotations

import ipaddress
import json
import socket
import time
from pathlib import Path

import pytest

from tests.cli.test_cli import harness
from tests.hostile.servers import documents_handler, serving

PRM_PATH = "/.well-known/oauth-protected-resource/mcp"
AS_PATH = "/.well-known/oauth-authorization-server"


def _verdicts(out: Path) -> dict[str, tuple[str, str]]:
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return {r["check"]: (r["verdict"], r["message"]) for r in report["results"]}


def test_deadline_ends_the_run_with_errors_saying_so(tmp_path: Path) -> None:
    # the embedded default needs about 20 s (it waits for its 12 s tokens to expire)
    began = time.monotonic()
    done = harness("run", "--deadline", "4", "--out", str(tmp_path))
    wall = time.monotonic() - began
    assert done.returncode == 3, done.stderr[-2000:]
    assert wall < 60.0
    unfinished = [m for v, m in _verdicts(tmp_path).values() if v == "error"]
    assert unfinished
    assert all("the run's deadline (4 s) passed" in m for m in unfinished), unfinished


def test_deadline_must_be_positive(tmp_path: Path) -> None:
    done = harness("run", "--deadline", "0", "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "--deadline must be more than 0 seconds" in done.stderr
    assert not (tmp_path / "out").exists()


def _private_address() -> str | None:
    """This machine's own private IPv4 address, from the route a UDP socket would take (no
    packet is sent); None when it has none."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 9))
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    ip = ipaddress.ip_address(address)
    return address if ip.is_private and not ip.is_loopback else None


def test_allow_private_lets_a_loopback_target_name_a_private_authorization_server(
    tmp_path: Path,
) -> None:
    private = _private_address()
    if private is None:
        pytest.skip("this machine has no private IPv4 address to serve an authorization server on")
    as_documents: dict[str, object] = {}
    rs_documents: dict[str, object] = {}
    with (
        serving(documents_handler(as_documents, prm_path=PRM_PATH), host=private) as issuer,
        serving(documents_handler(rs_documents, prm_path=PRM_PATH)) as base,
    ):
        as_documents[AS_PATH] = {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
        }
        rs_documents[PRM_PATH] = {"resource": f"{base}/mcp", "authorization_servers": [issuer]}
        target = ("--target", f"{base}/mcp", "-k", "disc.as.metadata-served or disc.as.issuer")
        refused = harness("run", *target, "--out", str(tmp_path / "refused"))
        allowed = harness("run", *target, "--allow-private", "--out", str(tmp_path / "allowed"))
    verdict, why = _verdicts(tmp_path / "refused")["disc.as.metadata-served"]
    assert refused.returncode == 3, refused.stderr[-2000:]
    assert verdict == "error"
    assert "egress refused" in why
    assert private in why
    verdicts = _verdicts(tmp_path / "allowed")
    assert verdicts["disc.as.metadata-served"][0] == "pass", verdicts
    assert verdicts["disc.as.issuer-match"][0] == "pass", verdicts
    assert "egress refused" not in allowed.stderr
