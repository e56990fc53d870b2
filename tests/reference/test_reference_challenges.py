"""Resource-server refusals: exact challenges, malformed tokens, Origin, sessions, audience."""

from __future__ import annotations

import pytest

from .driver import Driver, pkce_pair, query_of


def test_401_without_credentials_has_metadata_and_scope_but_no_error(driver: Driver) -> None:
    server = driver.server
    for method in ("POST", "GET", "DELETE"):
        response = driver.http.request(method, server.mcp_url)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == (
            f'Bearer resource_metadata="{server.prm_url}", scope="notes:read"'
        )


def test_401_for_a_bad_token_says_invalid_token(driver: Driver) -> None:
    response = driver.rpc("initialize", {}, token="not-a-real-token")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        f'Bearer error="invalid_token", resource_metadata="{driver.server.prm_url}", '
        'scope="notes:read"'
    )


def test_403_insufficient_scope_and_the_tool_does_not_run(driver: Driver) -> None:
    token = driver.access_token(scope="notes:read")
    session = driver.initialize(token)
    response = driver.call_tool("delete_note", token, session, id="1")
    assert response.status_code == 403
    assert response.headers["www-authenticate"] == (
        'Bearer error="insufficient_scope", scope="notes:write", '
        f'resource_metadata="{driver.server.prm_url}"'
    )
    assert "1" in {n.id for n in driver.server.state.notes("alice")}
    assert all(call.tool != "delete_note" for call in driver.server.state.tool_calls)


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer",
        "Bearer =",
        "Bearer " + "a" * 65536,
        "Bearer abc def",
        "Bearer a,b",
        "Bearer \tabc",
        b"Bearer \xff\xfe\x80",
        "Bearer eyJhbGciOiJub25lIn0.e30.",
        "Bearer e30.e30.e30",
    ],
)
def test_malformed_tokens_get_a_clean_401(driver: Driver, authorization: str | bytes) -> None:
    response = driver.http.post(driver.server.mcp_url, headers={"Authorization": authorization})
    assert response.status_code == 401


def test_scheme_is_case_insensitive_and_query_tokens_are_refused(driver: Driver) -> None:
    token = driver.access_token()
    lower = driver.http.post(
        driver.server.mcp_url,
        json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}},
        headers={"Authorization": f"bEaReR {token}"},
    )
    assert lower.status_code == 200
    query = driver.http.post(
        driver.server.mcp_url,
        params={"access_token": token},
        json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}},
    )
    assert query.status_code == 401
    assert "error=" not in query.headers["www-authenticate"]
    other_scheme = driver.http.post(
        driver.server.mcp_url, headers={"Authorization": f"Token {token}"}
    )
    assert other_scheme.status_code == 401


def test_foreign_origin_gets_403(driver: Driver) -> None:
    token = driver.access_token()
    own = driver.server.urls.rs_origin
    assert driver.rpc("initialize", {}, token=token, headers={"Origin": own}).status_code == 200
    evil = driver.rpc("initialize", {}, token=token, headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403


def test_audience_separation_between_the_two_resources(driver: Driver) -> None:
    server = driver.server
    main = driver.access_token(resource=server.mcp_url)
    other = driver.access_token(resource=server.other_mcp_url)
    assert driver.rpc("initialize", {}, token=main).status_code == 200
    assert driver.rpc("initialize", {}, token=main, url=server.other_mcp_url).status_code == 401
    assert driver.rpc("initialize", {}, token=other, url=server.other_mcp_url).status_code == 200
    assert driver.rpc("initialize", {}, token=other).status_code == 401
    _, challenge = pkce_pair()
    refused = driver.authorize(
        driver.client(),
        resource="https://elsewhere.example/mcp",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    assert query_of(refused)["error"] == "invalid_target"


def test_sessions_are_bound_to_their_user_and_resource(driver: Driver) -> None:
    alice = driver.access_token()
    bob = driver.access_token(user="bob")
    session = driver.initialize(alice)
    assert driver.rpc("ping", token=alice, session=session).status_code == 200
    assert driver.rpc("ping", token=bob, session=session).status_code == 404
    assert driver.rpc("ping", token=alice, session="unknown").status_code == 404
    assert driver.rpc("ping", token=alice).status_code == 400
    # a session id alone is not authentication
    assert driver.rpc("ping", session=session).status_code == 401


def test_get_is_405_and_delete_ends_the_session(driver: Driver) -> None:
    token = driver.access_token()
    session = driver.initialize(token)
    auth = {"Authorization": f"Bearer {token}", "Mcp-Session-Id": session}
    assert driver.http.get(driver.server.mcp_url, headers=auth).status_code == 405
    assert driver.http.delete(driver.server.mcp_url, headers=auth).status_code == 204
    assert driver.rpc("ping", token=token, session=session).status_code == 404
