"""The reference target's additions for the resource-server suite: tool annotations and scopes,
the planted injection, the upstream tool, and the pending session defects."""

from __future__ import annotations

from simulators.reference import Defect, ReferenceConfig
from simulators.reference.models import token_digest
from simulators.reference.state import INJECTED_NOTE_TEXT

from .driver import Driver, running

MOCK = "/upstream"


def _tools(d: Driver, token: str) -> dict[str, dict[str, object]]:
    listed = d.rpc("tools/list", token=token, session=d.initialize(token)).json()
    return {t["name"]: t for t in listed["result"]["tools"]}


def test_tools_declare_effects_and_scopes(driver: Driver) -> None:
    tools = _tools(driver, driver.access_token())
    assert set(tools) == {"whoami", "list_notes", "delete_note"}  # no upstream configured
    assert tools["whoami"]["annotations"] == {"readOnlyHint": True, "openWorldHint": False}
    assert tools["delete_note"]["annotations"] == {"readOnlyHint": False, "destructiveHint": True}
    assert tools["delete_note"]["securitySchemes"] == [
        {"type": "oauth2", "scopes": ["notes:write"]}
    ]


def test_alice_has_a_planted_injection(driver: Driver) -> None:
    token = driver.access_token()
    listed = driver.call_tool("list_notes", token, driver.initialize(token)).json()
    assert INJECTED_NOTE_TEXT in listed["result"]["content"][0]["text"]


def test_upstream_gets_the_servers_own_credential() -> None:
    with running(ReferenceConfig(upstream_url=MOCK)) as d:
        token = d.access_token()
        assert "fetch_upstream" in _tools(d, token)
        called = d.call_tool("fetch_upstream", token, d.initialize(token)).json()
        assert called["result"]["structuredContent"] == {"status": 200}
        received = d.server.state.upstream_received
        assert len(received) == 1
        assert token_digest(token) not in received
        assert [c.forwarded_client_token for c in d.server.state.upstream_calls] == [False]


def test_token_passthrough_forwards_the_clients_token() -> None:
    with running(ReferenceConfig(upstream_url=MOCK, defects={Defect.TOKEN_PASSTHROUGH})) as d:
        token = d.access_token()
        d.call_tool("fetch_upstream", token, d.initialize(token))
        assert d.server.state.upstream_received == (token_digest(token),)


def test_an_unreachable_upstream_is_a_tool_error() -> None:
    with running(ReferenceConfig(upstream_url="http://127.0.0.1:9/nothing")) as d:
        token = d.access_token()
        called = d.call_tool("fetch_upstream", token, d.initialize(token)).json()
        assert called["result"]["isError"] is True


def test_weak_session_ids_are_sequential() -> None:
    with running(ReferenceConfig(defects=frozenset({Defect.WEAK_SESSION_ID}))) as d:
        token = d.access_token()
        assert [d.initialize(token) for _ in range(3)] == ["1", "2", "3"]


def test_session_bound_to_token_loses_the_session_on_a_new_token() -> None:
    with running(ReferenceConfig(defects=frozenset({Defect.SESSION_BOUND_TO_TOKEN}))) as d:
        first, second = d.access_token(), d.access_token()
        session = d.initialize(first)
        assert d.rpc("tools/list", token=first, session=session).status_code == 200
        assert d.rpc("tools/list", token=second, session=session).status_code == 404


def test_a_correct_session_keeps_working_with_a_new_token_of_the_same_user(driver: Driver) -> None:
    first, second = driver.access_token(), driver.access_token()
    session = driver.initialize(first)
    assert driver.rpc("tools/list", token=second, session=session).status_code == 200


def test_no_challenge_scope_also_drops_the_scope_of_a_403() -> None:
    with running(ReferenceConfig(defects={Defect.NO_CHALLENGE_SCOPE})) as d:
        token = d.access_token(scope="notes:read")
        refused = d.call_tool("delete_note", token, d.initialize(token), id="1")
        assert refused.status_code == 403
        assert "scope=" not in refused.headers["www-authenticate"]
        assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]
