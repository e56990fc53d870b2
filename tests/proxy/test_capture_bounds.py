"""What a long proxy run holds: each body cut at capture to what the recording reads (metadata
documents and token responses whole), and a bound on the flows and bytes kept."""

from __future__ import annotations

import json

import pytest

from harness.proxy import addon as addon_module
from harness.proxy.addon import McpAuthAddon
from harness.proxy.faults import RequestView
from harness.proxy.outcome import RunFacts, build_report
from harness.proxy.record import (
    KEPT_PREFIX_BYTES,
    MAX_DOCUMENT_BYTES,
    RawExchange,
    RawMessage,
    kept,
    record,
)
from harness.redact import SecretVault

JSON = "application/json"
SECRET = "at-" + "s3cr3t" * 6


def test_small_bodies_are_kept_whole() -> None:
    document = json.dumps({"issuer": "https://as.example", "pad": "x" * 40_000}).encode()
    token = json.dumps({"access_token": SECRET, "token_type": "Bearer"}).encode()
    vault = SecretVault()
    assert kept(vault, document, JSON) == document
    assert kept(vault, token, JSON) == token
    assert SECRET not in vault  # registered later, by record(), as before


def test_a_large_body_keeps_the_excerpt_prefix_and_its_secrets_are_registered() -> None:
    body = json.dumps({"access_token": SECRET, "pad": "x" * 1_000_000}).encode()
    vault = SecretVault()
    held = kept(vault, body, JSON)
    assert len(held) == KEPT_PREFIX_BYTES < MAX_DOCUMENT_BYTES < len(body)
    assert SECRET in vault  # the truncated text no longer parses: registered whole, now
    raw = RawExchange(
        method="POST",
        url="http://127.0.0.1:9/token",
        request=RawMessage(headers=(), body=b""),
        status=200,
        response=RawMessage(headers=((b"content-type", JSON.encode()),), body=held),
        error=None,
        elapsed_s=0.1,
    )
    excerpt = record(vault, raw).response.body_excerpt  # type: ignore[union-attr]
    assert SECRET not in excerpt
    assert excerpt.startswith('{"access_token": "sha256:')


def test_stored_flows_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(addon_module, "MAX_EXCHANGES", 5)
    monkeypatch.setattr(addon_module, "MAX_KEPT_BYTES", 10_000)
    owner = McpAuthAddon(on_flow=lambda _line: None)
    view = RequestView(method="POST", path="/mcp")

    def flow(size: int) -> RawExchange:
        return RawExchange(
            method="POST",
            url="http://127.0.0.1:9/mcp",
            request=RawMessage(headers=(), body=b"x" * size),
            status=200,
            response=RawMessage(headers=(), body=b""),
            error=None,
            elapsed_s=0.0,
        )

    for _ in range(3):
        owner.keep(flow(3_000), view, ())
    owner.keep(flow(3_000), view, ())  # past the byte bound: counted by mitmproxy, not kept
    assert len(owner.exchanges) == 3
    for _ in range(5):
        owner.keep(flow(10), view, ())
    assert len(owner.exchanges) == 5  # the flow bound
    assert owner.unrecorded == 4  # one past the bytes, three past the flows: said in the report
    facts = RunFacts(
        upstream="http://127.0.0.1:9",
        listen=("127.0.0.1:8080",),
        mode="reverse:http://127.0.0.1:9",
        control_url=None,
        as_profile=None,
        started_at="2026-12-03T00:00:00Z",
        duration_s=1.0,
        seed=0,
    )
    section = build_report(facts, owner.exchanges, [], unrecorded=owner.unrecorded).extra["proxy"]
    assert section["counts"]["unrecorded_flows"] == 4  # type: ignore[index]
