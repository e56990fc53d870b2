"""client.* and the passive server judgements, on recorded exchanges: each verdict of each check.

The conversations are what the proxy records (redacted: `sha256:` fingerprints stand for
tokens). `good()` is a spec-following client; each test swaps one step, as the OpenID
conformance suite's negative tests do.
"""

from __future__ import annotations

import json
from dataclasses import replace
from urllib.parse import urlencode

import pytest

from harness.checks import BY_ID, OBSERVED_CHECKS
from harness.exchange import Exchange, RecordedRequest, RecordedResponse
from harness.proxy.passive import judge_observed
from harness.proxy.record import RawExchange, RawMessage, record
from harness.redact import SecretVault
from harness.results import CompatVerdict, Result, Verdict
from harness.traffic import clients

H = "http://127.0.0.1:9000"
MCP = f"{H}/mcp"
PRM = f"{H}/.well-known/oauth-protected-resource/mcp"
TOKEN_A = "sha256:aaaa1111"
TOKEN_B = "sha256:cccc3333"
CHALLENGE = f'Bearer resource_metadata="{PRM}", scope="notes:read"'
INVALID = f'Bearer error="invalid_token", resource_metadata="{PRM}"'
UA = ("user-agent", "python-httpx/0.28.1")


def ex(
    method: str,
    url: str,
    *,
    status: int = 200,
    headers: tuple[tuple[str, str], ...] = (),
    body: str = "",
    rheaders: tuple[tuple[str, str], ...] = (),
    rbody: object = "",
    at: float | None = None,
) -> Exchange:
    text = rbody if isinstance(rbody, str) else json.dumps(rbody)
    return Exchange(
        request=RecordedRequest(method=method, url=url, headers=(UA, *headers), body_excerpt=body),
        response=RecordedResponse(status=status, headers=rheaders, body_excerpt=text),
        at=at,
    )


def rpc(
    method: str, token: str | None, *, status: int = 200, www: str = "", at: float | None = None
) -> Exchange:
    params = {"clientInfo": {"name": "py-client", "version": "1"}} if method == "initialize" else {}
    headers = [("content-type", "application/json")]
    if token:
        headers.append(("authorization", f"Bearer {token}"))
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    rheaders = (("www-authenticate", www),) if www else ()
    result = {"jsonrpc": "2.0", "id": 1, "result": {}} if status == 200 else ""
    return ex(
        "POST",
        MCP,
        status=status,
        headers=tuple(headers),
        body=body,
        rheaders=rheaders,
        rbody=result,
        at=at,
    )


def authorize(**params: str) -> Exchange:
    query = {
        "response_type": "code",
        "client_id": "c1",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        "state": "af0ifjsldkjAAAA",
        "resource": MCP,
        "scope": "notes:read",
        "redirect_uri": "http://127.0.0.1:33418/callback",
    }
    query.update(params)
    query = {k: v for k, v in query.items() if v != "-"}
    return ex("GET", f"{H}/authorize?{urlencode(query)}", status=302)


def token(grant: str = "authorization_code", issued: str = TOKEN_A, **fields: str) -> Exchange:
    form = {"grant_type": grant, "client_id": "c1", "resource": MCP}
    if grant == "authorization_code":
        form |= {"code": "sha256:0c0c0c0c", "code_verifier": "sha256:0d0d0d0d"}
    else:
        form |= {"refresh_token": "sha256:bbbb2222"}
    form.update(fields)
    form = {k: v for k, v in form.items() if v != "-"}
    return ex(
        "POST",
        f"{H}/token",
        headers=(("content-type", "application/x-www-form-urlencoded"),),
        body=urlencode(form),
        rheaders=(("cache-control", "no-store"), ("content-type", "application/json")),
        rbody={"access_token": issued, "refresh_token": "sha256:bbbb2222", "token_type": "Bearer"},
    )


def discovery(prm_first: str = PRM) -> list[Exchange]:
    prm = {
        "resource": MCP,
        "authorization_servers": [H],
        "scopes_supported": ["notes:read", "notes:write"],
    }
    metadata = {
        "issuer": H,
        "authorization_endpoint": f"{H}/authorize",
        "token_endpoint": f"{H}/token",
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["notes:read", "notes:write"],
    }
    json_type = (("content-type", "application/json"),)
    return [
        ex("GET", prm_first, rheaders=json_type, rbody=prm),
        ex(
            "GET", f"{H}/.well-known/oauth-authorization-server", rheaders=json_type, rbody=metadata
        ),
        ex(
            "POST",
            f"{H}/register",
            status=201,
            headers=json_type,
            body=json.dumps({"redirect_uris": ["http://127.0.0.1:33418/callback"]}),
            rheaders=json_type,
            rbody={"client_id": "c1"},
        ),
    ]


def good(
    *, login: list[Exchange] | None = None, use: list[Exchange] | None = None
) -> list[Exchange]:
    first = [rpc("initialize", None, status=401, www=CHALLENGE)]
    login = [*discovery(), authorize(), token()] if login is None else login
    use = [rpc("initialize", TOKEN_A), rpc("tools/call", TOKEN_A)] if use is None else use
    return first + login + use


def verdicts(exchanges: list[Exchange]) -> dict[str, Result]:
    results, _ = judge_observed(exchanges)
    return {r.check: r for r in results if r.profile is not None}


def verdict(exchanges: list[Exchange], check_id: str) -> Verdict:
    return verdicts(exchanges)[check_id].verdict


def test_a_spec_following_client_passes_every_check_its_traffic_exercised() -> None:
    results, compat = judge_observed(good())
    client = {r.check: r for r in results if r.profile == "observed:py-client"}
    assert set(client) == {c.id for c in OBSERVED_CHECKS}
    exercised = {k: r.verdict for k, r in client.items()}
    # nothing failed, so retries and recovery were not exercised: skip, never pass
    assert exercised.pop("client.no-retry-storm") is Verdict.SKIP
    assert exercised.pop("client.recovers-from-401") is Verdict.SKIP
    assert set(exercised.values()) == {Verdict.PASS}, exercised
    assert [(c.profile, c.verdict) for c in compat] == [("observed:py-client", CompatVerdict.WORKS)]
    server = {r.check: r.verdict for r in results if r.profile is None}
    assert server["disc.rs.challenge"] is Verdict.PASS
    assert server["rs.no-token"] is Verdict.PASS
    assert server["token.no-store"] is Verdict.PASS
    assert server["disc.as.pkce-advertised"] is Verdict.PASS
    assert server["disc.prm.resource-match"] is Verdict.PASS
    assert server["disc.prm.authorization-servers"] is Verdict.PASS
    assert server["disc.as.issuer-match"] is Verdict.PASS
    assert server["rs.invalid-token-challenge"] is Verdict.SKIP


def test_nothing_observed_skips_every_client_check() -> None:
    only = [rpc("initialize", None, status=401, www=CHALLENGE)]
    assert {r.verdict for r in verdicts(only).values()} == {Verdict.SKIP}


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        (authorize(code_challenge_method="plain"), Verdict.FAIL),
        (authorize(code_challenge_method="-"), Verdict.FAIL),
        (authorize(code_challenge="-", code_challenge_method="-"), Verdict.FAIL),
    ],
)
def test_pkce_s256(step: Exchange, expected: Verdict) -> None:
    assert verdict(good(login=[*discovery(), step, token()]), "client.pkce-s256") is expected


def test_pkce_without_verifier_fails() -> None:
    login = [*discovery(), authorize(), token(code_verifier="-")]
    assert verdict(good(login=login), "client.pkce-s256") is Verdict.FAIL


@pytest.mark.parametrize(
    ("second_state", "expected"),
    [("af0ifjsldkjBBBB", Verdict.PASS), ("af0ifjsldkjAAAA", Verdict.WARN), ("-", Verdict.WARN)],
)
def test_state(second_state: str, expected: Verdict) -> None:
    login = [
        *discovery(),
        authorize(),
        token(),
        authorize(state=second_state),
        token(issued=TOKEN_B),
    ]
    assert verdict(good(login=login), "client.state") is expected


def test_short_state_warns() -> None:
    login = [*discovery(), authorize(state="abc"), token()]
    assert verdict(good(login=login), "client.state") is Verdict.WARN


@pytest.mark.parametrize(
    ("at_authorize", "at_token", "expected"),
    [
        ("-", MCP, Verdict.FAIL),  # missing (claude-ai's resource mode omit)
        (MCP, "-", Verdict.FAIL),  # missing at the token endpoint only (mcp-use)
        (H, MCP, Verdict.FAIL),  # the origin, not the endpoint
        ("HTTP://127.0.0.1:9000/mcp", MCP, Verdict.FAIL),  # not canonical
        (MCP + "/", MCP, Verdict.WARN),  # SHOULD omit the trailing slash
    ],
)
def test_resource_param(at_authorize: str, at_token: str, expected: Verdict) -> None:
    login = [*discovery(), authorize(resource=at_authorize), token(resource=at_token)]
    assert verdict(good(login=login), "client.resource-param") is expected


def test_resource_param_on_refresh() -> None:
    use = [rpc("initialize", TOKEN_A), token("refresh_token", issued=TOKEN_B, resource="-")]
    assert verdict(good(use=use), "client.resource-param") is Verdict.FAIL


def test_bearer_dropped_after_the_exchange_fails() -> None:
    use = [rpc("initialize", TOKEN_A), rpc("tools/call", None, status=401, www=CHALLENGE)]
    result = verdicts(good(use=use))["client.bearer-every-request"]
    assert result.verdict is Verdict.FAIL
    assert "1 of 2 MCP request(s) without it" in result.message
    assert result.evidence
    assert "tools/call" in str(result.evidence[0])


def test_token_in_query_fails() -> None:
    leak = ex("GET", f"{MCP}?access_token={TOKEN_A}")
    assert verdict(good(use=[rpc("initialize", TOKEN_A), leak]), "client.no-query-token") is (
        Verdict.FAIL
    )


def test_discovery_order_fails_out_of_order() -> None:
    # the root PRM first, not the challenge's resource_metadata URL
    login = discovery(prm_first=f"{H}/.well-known/oauth-protected-resource")
    assert verdict(good(login=[*login, authorize(), token()]), "client.discovery-order") is (
        Verdict.FAIL
    )


def test_discovery_ignoring_the_header_url_fails() -> None:
    # claude-ai's prm_order (path, root): the challenge names another URL, never fetched
    named = f'Bearer resource_metadata="{H}/prm/custom", scope="notes:read"'
    first = rpc("initialize", None, status=401, www=named)
    login = [*discovery(), authorize(), token()]
    assert verdict([first, *login], "client.discovery-order") is Verdict.FAIL


def test_discovery_fallback_after_a_404_is_in_order() -> None:
    miss = ex("GET", PRM, status=404)
    login = [miss, *discovery(prm_first=f"{H}/.well-known/oauth-protected-resource")]
    root_prm = {"resource": MCP, "authorization_servers": [H]}
    login[1] = ex("GET", f"{H}/.well-known/oauth-protected-resource", rbody=root_prm)
    assert verdict(good(login=[*login, authorize(), token()]), "client.discovery-order") is (
        Verdict.PASS
    )


def test_as_metadata_out_of_order_fails() -> None:
    login = discovery()
    oidc = ex("GET", f"{H}/.well-known/openid-configuration", rbody={"issuer": H})
    login.insert(1, oidc)
    assert verdict(good(login=[*login, authorize(), token()]), "client.discovery-order") is (
        Verdict.FAIL
    )


def test_as_metadata_without_prm_fails() -> None:
    login = discovery()[1:]
    assert verdict(good(login=[*login, authorize(), token()]), "client.discovery-order") is (
        Verdict.FAIL
    )


def test_recovers_from_401_by_refresh() -> None:
    use = [
        rpc("tools/call", TOKEN_A, status=401, www=INVALID),
        token("refresh_token", issued=TOKEN_B),
        rpc("tools/call", TOKEN_B),
    ]
    result = verdicts(good(use=use))["client.recovers-from-401"]
    assert result.verdict is Verdict.PASS
    assert "by refresh" in result.message


def test_recovers_from_401_by_new_login() -> None:
    use = [
        rpc("tools/call", TOKEN_A, status=401, www=INVALID),
        authorize(state="af0ifjsldkjCCCC"),
        token(issued=TOKEN_B),
        rpc("tools/call", TOKEN_B),
    ]
    assert "new login" in verdicts(good(use=use))["client.recovers-from-401"].message


@pytest.mark.parametrize(
    "after",
    [
        [],  # gave up (mcp-use: a 401 mid-session ends the tool call)
        [rpc("tools/call", TOKEN_A, status=401, www=INVALID)],  # the dead token again
    ],
)
def test_no_recovery_warns(after: list[Exchange]) -> None:
    use = [rpc("tools/call", TOKEN_A, status=401, www=INVALID), *after]
    assert verdict(good(use=use), "client.recovers-from-401") is Verdict.WARN


def test_retry_storm_warns() -> None:
    storm = [rpc("tools/call", TOKEN_A, status=401, www=INVALID) for _ in range(5)]
    assert verdict(good(use=storm), "client.no-retry-storm") is Verdict.WARN


def test_a_few_retries_pass() -> None:
    retries = [rpc("tools/call", TOKEN_A, status=401, www=INVALID) for _ in range(2)]
    assert verdict(good(use=retries), "client.no-retry-storm") is Verdict.PASS


def test_retry_after_not_honoured_warns_and_honoured_passes() -> None:
    limited = ex("POST", f"{H}/token", status=429, rheaders=(("retry-after", "2"),), at=100.0)
    early = ex("POST", f"{H}/token", status=200, at=100.5)
    late = ex("POST", f"{H}/token", status=200, at=102.1)
    base = good()
    assert verdict([*base, limited, early], "client.no-retry-storm") is Verdict.WARN
    assert verdict([*base, limited, late], "client.no-retry-storm") is Verdict.PASS


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ("notes:read", Verdict.PASS),
        ("notes:read notes:write", Verdict.WARN),  # beyond the challenge (claude-ai's AS list)
        ("*", Verdict.WARN),
        ("notes:read offline_access", Verdict.WARN),  # the AS does not advertise it
    ],
)
def test_scope_minimal(scope: str, expected: Verdict) -> None:
    login = [*discovery(), authorize(scope=scope), token()]
    assert verdict(good(login=login), "client.scope-minimal") is expected


def test_scope_without_challenge_follows_prm() -> None:
    first = rpc("initialize", None, status=401, www=f'Bearer resource_metadata="{PRM}"')
    login = [*discovery(), authorize(scope="notes:read notes:write"), token()]
    assert verdict([first, *login], "client.scope-minimal") is Verdict.PASS


def test_clients_are_told_apart_and_named() -> None:
    other_ua = ("user-agent", "node")
    theirs = [
        Exchange(
            request=RecordedRequest(method="POST", url=MCP, headers=(other_ua,), body_excerpt=""),
            response=RecordedResponse(status=401, headers=(("www-authenticate", CHALLENGE),)),
        )
    ]
    found = clients(good() + theirs)
    assert sorted(c.name for c in found) == ["node", "py-client"]
    _, compat = judge_observed(good() + theirs)
    assert {c.profile: c.verdict for c in compat} == {
        "observed:py-client": CompatVerdict.WORKS,
        "observed:node": CompatVerdict.BROKEN,
    }


def test_degraded_when_a_rule_is_broken_on_the_way() -> None:
    login = [*discovery(), authorize(resource="-"), token(resource="-")]
    _, compat = judge_observed(good(login=login))
    assert compat[0].verdict is CompatVerdict.DEGRADED
    assert compat[0].reasons[0].text.startswith("client.resource-param")
    assert compat[0].reasons[0].attribution.value == "client"
    assert compat[0].reasons[0].sources[0].startswith("observed 20")


def test_server_side_findings() -> None:
    let_in = [rpc("tools/call", None, status=200)]
    server = {r.check: r.verdict for r in judge_observed(good(use=let_in))[0] if r.profile is None}
    assert server["rs.no-token"] is Verdict.FAIL
    bare_401 = [rpc("tools/call", TOKEN_A, status=401, www=CHALLENGE)]
    server = {
        r.check: r.verdict for r in judge_observed(good(use=bare_401))[0] if r.profile is None
    }
    assert server["rs.invalid-token-challenge"] is Verdict.WARN  # its level: SHOULD
    assert BY_ID["rs.invalid-token-challenge"].level.value == "SHOULD"


def test_faulted_exchanges_are_no_evidence_against_the_server() -> None:
    forged = good(use=[rpc("tools/call", TOKEN_A, status=401, www=CHALLENGE)])
    results, _ = judge_observed(forged, faulted={len(forged) - 1})
    server = {r.check: r.verdict for r in results if r.profile is None}
    assert server["rs.invalid-token-challenge"] is Verdict.SKIP


def test_the_header_url_and_the_path_suffixed_one_tried_twice_is_in_order() -> None:
    # the Python SDK through discovery-404: header URL (= path-suffixed) twice, then root
    root = f"{H}/.well-known/oauth-protected-resource"
    login = discovery(prm_first=root)
    misses = [ex("GET", PRM, status=404), ex("GET", PRM, status=404)]
    assert verdict(
        good(login=[*misses, *login, authorize(), token()]), "client.discovery-order"
    ) is (Verdict.PASS)


def test_a_later_challenge_without_scope_sends_the_client_to_prm() -> None:
    # expire-token's challenge names no scope: PRM scopes_supported is the next source
    use = [
        rpc("tools/call", TOKEN_A, status=401, www=INVALID),
        *discovery()[:2],
        authorize(scope="notes:read notes:write", state="af0ifjsldkjDDDD"),
        token(issued=TOKEN_B),
        rpc("tools/call", TOKEN_B),
    ]
    assert verdict(good(use=use), "client.scope-minimal") is Verdict.PASS


def test_legacy_fallback_after_prm_misses_warns() -> None:
    # the TypeScript SDK through discovery-404: the header URL 404s, then origin AS metadata
    login = [ex("GET", PRM, status=404), *discovery()[1:]]
    assert verdict(good(login=[*login, authorize(), token()]), "client.discovery-order") is (
        Verdict.WARN
    )


def test_server_metadata_findings() -> None:
    login = discovery()
    prm, metadata = login[0], login[1]
    no_as = ex("GET", prm.request.url, rbody={"resource": MCP, "authorization_servers": []})
    wrong = ex("GET", metadata.request.url, rbody={"issuer": "http://other.example"})
    server = {r.check: r.verdict for r in judge_observed([no_as])[0] if r.profile is None}
    assert server["disc.prm.authorization-servers"] is Verdict.FAIL
    server = {r.check: r.verdict for r in judge_observed([prm, wrong])[0] if r.profile is None}
    assert server["disc.as.issuer-match"] is Verdict.FAIL


def _server(exchanges: list[Exchange], faulted: set[int] | frozenset[int] = frozenset()) -> dict:
    return {r.check: r for r in judge_observed(exchanges, faulted=faulted)[0] if r.profile is None}


def test_prm_served_ignores_a_root_miss_when_the_named_url_was_faulted() -> None:
    # discovery-404 on the named (path-suffixed) PRM: that fetch is faulted; the root 404 is no
    # URL the server must serve, so the server is not failed for it
    root = f"{H}/.well-known/oauth-protected-resource"
    login = [ex("GET", PRM, status=404), ex("GET", root, status=404), *discovery()[1:]]
    exchanges = good(login=[*login, authorize(), token()])
    result = _server(exchanges, faulted={1})["disc.prm.served"]
    assert result.verdict is Verdict.SKIP
    assert PRM in result.message


def test_prm_served_fails_only_for_the_url_the_server_named_or_the_first_candidate() -> None:
    root = f"{H}/.well-known/oauth-protected-resource"
    root_only = [ex("GET", root, status=404), *discovery()[1:], authorize(), token()]
    # a client that only probes root, with no challenge seen: root is not the first candidate
    no_challenge = [*root_only, rpc("tools/call", TOKEN_A)]
    assert _server(no_challenge)["disc.prm.served"].verdict is Verdict.SKIP
    # the named URL itself missing fails
    named_missing = good(login=[ex("GET", PRM, status=404), *discovery()[1:], authorize(), token()])
    assert _server(named_missing)["disc.prm.served"].verdict is Verdict.FAIL
    # no challenge seen: the path-suffixed candidate missing fails
    first_missing = [ex("GET", PRM, status=404), *root_only[1:], rpc("tools/call", TOKEN_A)]
    assert _server(first_missing)["disc.prm.served"].verdict is Verdict.FAIL


def test_a_client_stopped_by_an_injected_fault_is_not_blamed_on_the_server() -> None:
    # rate-limit at /token: the proxy's own 429, and the client gives up
    limited = ex("POST", f"{H}/token", status=429, rheaders=(("retry-after", "1"),))
    exchanges = good(login=[*discovery(), authorize(), limited], use=[])
    for faulted in ({len(exchanges) - 1}, {len(exchanges) - 1: ["rate-limit#1"]}):
        _, (entry,) = judge_observed(exchanges, faulted=faulted)
        assert entry.verdict is CompatVerdict.BROKEN
        why = entry.reasons[0]
        assert why.attribution.value != "server"
        assert "fault" in why.text
    assert "rate-limit#1" in why.text
    # the same 429 from the server itself is the server's doing
    _, (entry,) = judge_observed(exchanges)
    assert entry.reasons[0].attribution.value == "server"


def test_metadata_documents_over_the_excerpt_size_are_judged_whole() -> None:
    # a real AS metadata document is often over 2 KB: cut, its JSON would no longer parse
    metadata = {
        "issuer": H,
        "authorization_endpoint": f"{H}/authorize",
        "token_endpoint": f"{H}/token",
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["notes:read", "notes:write", "offline_access"],
        "ui_locales_supported": [f"locale-{n:04d}" for n in range(400)],
    }
    body = json.dumps(metadata).encode()
    assert len(body) > 2000
    fetched = record(
        SecretVault(),
        RawExchange(
            method="GET",
            url=f"{H}/.well-known/oauth-authorization-server",
            request=RawMessage(headers=((b"user-agent", UA[1].encode()),), body=b""),
            status=200,
            response=RawMessage(headers=((b"content-type", b"application/json"),), body=body),
            error=None,
            elapsed_s=0.01,
        ),
    )
    login = discovery()
    login[1] = fetched
    scoped = authorize(scope="notes:read offline_access")
    results = verdicts_all(good(login=[*login, scoped, token()]))
    assert results["disc.as.pkce-advertised"] is Verdict.PASS
    assert results["disc.as.issuer-match"] is Verdict.PASS
    assert results["client.scope-minimal"] is Verdict.PASS


def verdicts_all(exchanges: list[Exchange]) -> dict[str, Verdict]:
    return {r.check: r.verdict for r in judge_observed(exchanges)[0]}


def test_as_metadata_without_prm_skips_when_the_capture_began_mid_session() -> None:
    # the proxy started after the client had found (and cached) PRM: no 401, no initialize
    login = [*discovery()[1:], authorize(), token()]
    mid_session = [*login, rpc("tools/call", TOKEN_A)]
    result = verdicts(mid_session)["client.discovery-order"]
    assert result.verdict is Verdict.SKIP
    assert "cached" in result.message


def test_exchanges_are_judged_in_the_order_they_were_sent() -> None:
    # the proxy records in completion order: a slow path-suffixed 404 completes after the root
    # PRM fetch the client sent after it
    root = f"{H}/.well-known/oauth-protected-resource"
    slow_miss = ex("GET", PRM, status=404, at=2.0)
    sent = [*discovery(prm_first=root), authorize(), token(), *good(login=[])[1:]]
    timed = [replace(e, at=3.0 + n) for n, e in enumerate(sent)]
    first = replace(rpc("initialize", None, status=401, www=CHALLENGE), at=1.0)
    completed = [first, timed[0], slow_miss, *timed[1:]]
    assert verdict(completed, "client.discovery-order") is Verdict.PASS
    # a faulted exchange stays faulted wherever sorting puts it
    forged = replace(rpc("tools/call", TOKEN_A, status=401, www=CHALLENGE), at=30.0)
    server = _server([forged, *completed], faulted={0})
    assert server["rs.invalid-token-challenge"].verdict is Verdict.SKIP
