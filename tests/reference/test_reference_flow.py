"""The happy paths: registration, authorization, tokens, MCP calls, refresh and revocation."""

from __future__ import annotations

import json
import re

import pytest

from simulators.reference import ReferenceConfig

from .driver import REDIRECT_URI, Driver, Registered, pkce_pair, query_of, running


def test_full_flow_dcr_authorize_token_initialize_whoami(driver: Driver) -> None:
    server = driver.server
    registration = driver.register()
    assert registration.status_code == 201
    client_info = registration.json()
    assert client_info["token_endpoint_auth_method"] == "none"
    assert "client_secret" not in client_info

    verifier, challenge = pkce_pair()
    client = driver.client()
    response = driver.authorize(client, code_challenge=challenge, code_challenge_method="S256")
    assert response.status_code == 302
    params = query_of(response)
    assert params["state"] == "state-123"
    assert params["iss"] == server.issuer
    assert response.headers["location"].startswith(REDIRECT_URI + "?")

    token_response = driver.redeem(client, params["code"], verifier)
    assert token_response.status_code == 200
    assert token_response.headers["cache-control"] == "no-store"
    tokens = token_response.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["refresh_token"]

    init = driver.rpc("initialize", {"protocolVersion": "2025-06-18"}, token=tokens["access_token"])
    assert init.json()["result"]["protocolVersion"] == "2025-06-18"
    session = init.headers["mcp-session-id"]
    assert len(session) >= 40
    whoami = driver.call_tool("whoami", tokens["access_token"], session)
    assert whoami.json()["result"]["structuredContent"] == {"subject": "alice"}
    tools = driver.rpc("tools/list", token=tokens["access_token"], session=session)
    assert {t["name"] for t in tools.json()["result"]["tools"]} == {
        "whoami",
        "list_notes",
        "delete_note",
    }


def test_code_is_single_use_and_bound_to_pkce(driver: Driver) -> None:
    client = driver.client()
    code, verifier = driver.code(client)
    assert driver.redeem(client, code, "x" * 43).json()["error"] == "invalid_grant"
    assert driver.redeem(client, code, verifier).status_code == 200
    assert driver.redeem(client, code, verifier).json()["error"] == "invalid_grant"


def test_pkce_is_required_and_s256_only(driver: Driver) -> None:
    client = driver.client()
    missing = driver.authorize(client)
    assert query_of(missing)["error"] == "invalid_request"
    plain = driver.authorize(client, code_challenge="a" * 43, code_challenge_method="plain")
    assert query_of(plain)["error"] == "invalid_request"
    assert query_of(plain)["iss"] == driver.server.issuer


def test_bad_client_or_redirect_gets_an_error_page_not_a_redirect(driver: Driver) -> None:
    client = driver.client()
    _, challenge = pkce_pair()
    for overrides in ({"redirect_uri": "https://evil.example/cb"}, {"client_id": "nope"}):
        response = driver.authorize(
            client, code_challenge=challenge, code_challenge_method="S256", **overrides
        )
        assert response.status_code == 400
        assert "location" not in response.headers
        assert response.headers["content-type"].startswith("text/html")


def test_loopback_redirect_any_port_and_response_type_token_refused(driver: Driver) -> None:
    client = driver.client()
    code, _ = driver.code(client, redirect_uri="http://127.0.0.1:50123/callback")
    assert code
    _, challenge = pkce_pair()
    token = driver.authorize(
        client, response_type="token", code_challenge=challenge, code_challenge_method="S256"
    )
    assert query_of(token)["error"] == "unsupported_response_type"


@pytest.mark.parametrize(
    "uri",
    ["javascript:alert(1)", "data:text/html,x", "https://a.example/cb#frag", "http://a.example/cb"],
)
def test_dcr_refuses_dangerous_redirect_uris(driver: Driver, uri: str) -> None:
    response = driver.register(redirect_uris=[uri])
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_redirect_uri"


def test_dcr_accepts_private_use_scheme_redirects(driver: Driver) -> None:
    native = driver.register(redirect_uris=["com.example.app:/oauth2redirect"]).json()
    client = Registered(native["client_id"], None, "com.example.app:/oauth2redirect")
    code, _ = driver.code(client)
    assert code


def test_confidential_client_must_authenticate(driver: Driver) -> None:
    info = driver.register(token_endpoint_auth_method="client_secret_basic").json()
    assert info["token_endpoint_auth_method"] == "client_secret_basic"
    client = Registered(info["client_id"], info["client_secret"], REDIRECT_URI)
    code, verifier = driver.code(client)
    form = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
    form |= {"redirect_uri": REDIRECT_URI, "resource": driver.server.mcp_url}
    unauthenticated = driver.token(**form, client_id=client.client_id)
    assert unauthenticated.json()["error"] == "invalid_client"
    url = driver.server.urls.as_url("token")
    basic = driver.http.post(url, data=form, auth=(client.client_id, info["client_secret"]))
    assert basic.status_code == 200


def test_refresh_rotates_and_reuse_revokes_the_family(driver: Driver) -> None:
    first = driver.tokens()
    client_id = driver.client().client_id
    refreshed = driver.token(
        grant_type="refresh_token", refresh_token=first["refresh_token"], client_id=client_id
    )
    assert refreshed.status_code == 200
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"]
    reuse = driver.token(
        grant_type="refresh_token", refresh_token=first["refresh_token"], client_id=client_id
    )
    assert reuse.json()["error"] == "invalid_grant"
    # the whole family is gone, including the token minted by the legitimate refresh
    assert driver.rpc("initialize", {}, token=second["access_token"]).status_code == 401


def test_revoked_access_token_is_refused(driver: Driver) -> None:
    token = driver.access_token()
    assert driver.rpc("initialize", {}, token=token).status_code == 200
    revoke = driver.http.post(
        driver.server.urls.as_url("revoke"),
        data={"token": token, "client_id": driver.client().client_id},
    )
    assert revoke.status_code == 200
    assert driver.rpc("initialize", {}, token=token).status_code == 401


def test_bob_via_login_hint_and_write_scope_deletes_only_own_notes(driver: Driver) -> None:
    token = driver.access_token(user="bob", scope="notes:read notes:write")
    session = driver.initialize(token)
    assert (
        driver.call_tool("whoami", token, session).json()["result"]["content"][0]["text"] == "bob"
    )
    foreign = driver.call_tool("delete_note", token, session, id="2")
    assert foreign.json()["result"]["isError"] is True
    own = driver.call_tool("delete_note", token, session, id="3")
    assert own.json()["result"]["structuredContent"] == {"deleted": "3"}
    state = driver.server.state
    assert [d.note.id for d in state.deleted_notes] == ["3"]
    assert [n.id for n in state.notes("alice")][-1] == "2"


def test_form_login_then_consent() -> None:
    with running(ReferenceConfig(login="form")) as d:
        client = d.client()
        verifier, challenge = pkce_pair()
        page = d.authorize(client, code_challenge=challenge, code_challenge_method="S256")
        assert page.status_code == 200
        fields = dict(re.findall(r"name='(txn|csrf_token)' value='([^']+)'", page.text))
        bad = d.http.post(
            d.server.urls.as_url("login"),
            data={**fields, "username": "bob", "password": "wrong"},
        )
        assert bad.status_code == 401
        consent = d.http.post(
            d.server.urls.as_url("login"),
            data={**fields, "username": "bob", "password": "bob-password"},
        )
        assert consent.status_code == 200
        assert "Approve" in consent.text
        redirect = d.http.post(
            d.server.urls.as_url("consent"), data={**fields, "decision": "approve"}
        )
        assert redirect.status_code == 302
        token = d.redeem(client, query_of(redirect)["code"], verifier).json()["access_token"]
        whoami = d.call_tool("whoami", token, d.initialize(token))
        assert whoami.json()["result"]["structuredContent"]["subject"] == "bob"


def test_form_consent_needs_the_same_browser() -> None:
    with running(ReferenceConfig(login="form")) as d:
        _, challenge = pkce_pair()
        page = d.authorize(d.client(), code_challenge=challenge, code_challenge_method="S256")
        fields = dict(re.findall(r"name='(txn|csrf_token)' value='([^']+)'", page.text))
        d.http.cookies.clear()
        login = d.http.post(
            d.server.urls.as_url("login"),
            data={**fields, "username": "alice", "password": "alice-password"},
        )
        assert login.status_code == 403


def test_opaque_tokens_sse_and_stateless_revision() -> None:
    with running(ReferenceConfig(token_format="opaque", sse_responses=True)) as d:
        token = d.access_token()
        assert token.count(".") == 0
        stateless = {"MCP-Protocol-Version": "2026-07-28"}
        response = d.rpc(
            "tools/call", {"name": "whoami", "arguments": {}}, token=token, headers=stateless
        )
        assert response.headers["content-type"].startswith("text/event-stream")
        assert "mcp-session-id" not in response.headers
        data = next(line for line in response.text.splitlines() if line.startswith("data: "))
        assert json.loads(data[6:])["result"]["structuredContent"] == {"subject": "alice"}
        other = d.rpc("ping", token=token, url=d.server.other_mcp_url, headers=stateless)
        assert other.status_code == 401
