"""Every defect flips exactly its own probe: false on a correct server, true with the defect.

A probe is a tiny black-box experiment against a running server. Defects that don't disturb
each other's probes share a server, which keeps the suite fast.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator

import pytest
from joserfc import jws
from joserfc.jwk import RSAKey

from simulators.reference import DEFECT_DESCRIPTIONS, Defect, ReferenceConfig, parse_defects
from simulators.reference.models import token_digest

from .as_probes import AS_GROUPS, AS_PROBES
from .driver import REDIRECT_URI, Driver, b64url_json, pkce_pair, query_of, running
from .header_key_probes import HEADER_KEY_GROUPS, HEADER_KEY_PROBES
from .load_probes import LOAD_GROUPS, LOAD_PROBES

D = Defect
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}
Probe = Callable[[Driver], bool]


def _no_credentials(d: Driver) -> str | None:
    return d.http.post(d.server.mcp_url, json=INIT).headers.get("www-authenticate")


def _accepted(d: Driver, token: str, url: str | None = None) -> bool:
    return d.rpc("initialize", {}, token=token, url=url).status_code == 200


def _as_doc(d: Driver) -> dict[str, object]:
    doc: dict[str, object] = d.http.get(
        d.server.urls.as_origin + "/.well-known/oauth-authorization-server"
    ).json()
    return doc


def _prm(d: Driver) -> dict[str, object]:
    doc: dict[str, object] = d.http.get(d.server.prm_url).json()
    return doc


def _forged_claims(d: Driver) -> dict[str, object]:
    """Claims a correct token for alice at the main resource would carry."""
    now = int(time.time())
    claims: dict[str, object] = {"iss": d.server.issuer, "sub": "alice", "aud": d.server.mcp_url}
    return claims | {"exp": now + 600, "iat": now, "jti": "forged", "scope": "notes:read"}


def _alg_none(d: Driver) -> bool:
    header = b64url_json({"alg": "none", "typ": "at+jwt"})
    return _accepted(d, f"{header}.{b64url_json(_forged_claims(d))}.")


def _bad_signature(d: Driver) -> bool:
    kid = d.http.get(d.server.urls.as_url("jwks")).json()["keys"][0]["kid"]
    header = b64url_json({"alg": "RS256", "kid": kid, "typ": "at+jwt"})
    signature = base64.urlsafe_b64encode(b"\x01" * 256).rstrip(b"=").decode()
    return _accepted(d, f"{header}.{b64url_json(_forged_claims(d))}.{signature}")


def _foreign_key(d: Driver) -> bool:
    key = RSAKey.generate_key(2048, parameters={"kid": "attacker"})
    now = int(time.time())
    claims = {"iss": "https://evil.example", "sub": "alice", "aud": d.server.mcp_url}
    claims |= {"exp": now + 600, "iat": now, "jti": "x", "scope": "notes:read"}
    header = {"alg": "RS256", "kid": "attacker", "typ": "at+jwt"}
    token = jws.serialize_compact(header, json.dumps(claims), key, algorithms=["RS256"])
    return _accepted(d, token)


def _authorize_with(d: Driver, **params: str | None) -> dict[str, str]:
    _, challenge = pkce_pair()
    sent: dict[str, str | None] = {"code_challenge": challenge, "code_challenge_method": "S256"}
    sent.update(params)
    return query_of(d.authorize(d.client(), **sent))


def _refresh(d: Driver, refresh_token: str) -> dict[str, str]:
    response = d.token(
        grant_type="refresh_token",
        refresh_token=refresh_token,
        client_id=d.client().client_id,
        resource=d.server.mcp_url,
    )
    data: dict[str, str] = response.json()
    return data


def _refresh_not_rotated(d: Driver) -> bool:
    old = d.tokens()["refresh_token"]
    return _refresh(d, old).get("refresh_token", old) == old


def _refresh_reuse(d: Driver) -> bool:
    old = d.tokens()["refresh_token"]
    _refresh(d, old)
    return "access_token" in _refresh(d, old)


def _wrong_verifier(d: Driver) -> bool:
    code, _ = d.code(d.client())
    return d.redeem(d.client(), code, "x" * 43).status_code == 200


def _code_twice(d: Driver) -> bool:
    client = d.client()
    code, verifier = d.code(client)
    d.redeem(client, code, verifier)
    return d.redeem(client, code, verifier).status_code == 200


def _other_client_redeems(d: Driver) -> bool:
    code, verifier = d.code(d.client())
    thief = d.register().json()["client_id"]
    form = {"grant_type": "authorization_code", "code": code, "client_id": thief}
    form |= {"redirect_uri": REDIRECT_URI, "code_verifier": verifier}
    return d.token(**form, resource=d.server.mcp_url).status_code == 200


def _other_redirect_at_token(d: Driver) -> bool:
    client = d.client()
    code, verifier = d.code(client)
    form = {"grant_type": "authorization_code", "code": code, "client_id": client.client_id}
    form |= {"redirect_uri": "http://127.0.0.1:8765/elsewhere", "code_verifier": verifier}
    return d.token(**form, resource=d.server.mcp_url).status_code == 200


def _revoked(d: Driver) -> bool:
    token = d.access_token()
    _accepted(d, token)  # used once before revocation (an opaque RS may cache it)
    d.http.post(
        d.server.urls.as_url("revoke"), data={"token": token, "client_id": d.client().client_id}
    )
    return _accepted(d, token)


def _session_alone(d: Driver) -> bool:
    session = d.initialize(d.access_token())
    return d.rpc("ping", session=session).status_code == 200


def _foreign_session(d: Driver) -> bool:
    session = d.initialize(d.access_token())
    return d.rpc("ping", token=d.access_token(user="bob"), session=session).status_code == 200


def _write_with_read_token(d: Driver) -> int:
    token = d.access_token(scope="notes:read")
    return d.call_tool("delete_note", token, d.initialize(token), id="missing").status_code


def _token_passthrough(d: Driver) -> bool:
    """The upstream API (the built-in mock at a relative `upstream_url`) got the client's token."""
    token = d.access_token()
    d.call_tool("fetch_upstream", token, d.initialize(token))
    return token_digest(token) in d.server.state.upstream_received


def _with_header(d: Driver, value: str) -> bool:
    headers = {"Authorization": value}
    return d.http.post(d.server.mcp_url, json=INIT, headers=headers).status_code == 200


def _weak_session_id(d: Driver) -> bool:
    token = d.access_token()
    return (d.initialize(token) or "").isdigit()


def _session_bound_to_token(d: Driver) -> bool:
    first, second = d.access_token(), d.access_token()
    session = d.initialize(first)
    return d.rpc("tools/list", token=second, session=session).status_code == 404


def _no_cors(d: Driver) -> bool:
    response = d.http.get(d.server.prm_url, headers={"origin": "http://localhost:6274"})
    return "access-control-allow-origin" not in response.headers


def _desync(d: Driver) -> bool:
    """The same unauthenticated POST twice on one kept-alive connection: with the defect the
    second is parsed from the first's unread body."""
    first = d.http.post(d.server.mcp_url, json=INIT)
    again = d.http.post(d.server.mcp_url, json=INIT)
    return first.status_code == 401 and again.status_code == 400


def _length_in_chars(d: Driver) -> bool:
    """The declared Content-Length ends the 401's JSON before its last bytes."""
    response = d.http.post(d.server.mcp_url, json=INIT)
    return response.status_code == 401 and not response.content.endswith(b"}")


PROBES: dict[Defect, Probe] = {
    D.CHALLENGE_ERROR_PARAM: lambda d: 'error="invalid_token"' in (_no_credentials(d) or ""),
    D.NO_CHALLENGE_SCOPE: lambda d: "scope=" not in (_no_credentials(d) or "scope="),
    D.NO_CHALLENGE: lambda d: _no_credentials(d) is None,
    D.PRM_MISSING: lambda d: d.http.get(d.server.prm_url).status_code != 200,
    D.PRM_RESOURCE_MISMATCH: lambda d: _prm(d)["resource"] != d.server.mcp_url,
    D.PRM_NO_AUTHORIZATION_SERVERS: lambda d: _prm(d)["authorization_servers"] == [],
    D.PRM_OMNIBUS_SCOPES: lambda d: "*" in str(_prm(d)["scopes_supported"]),
    D.AS_METADATA_MISSING: lambda d: (
        d.http.get(d.server.urls.as_origin + "/.well-known/oauth-authorization-server").status_code
        != 200
    ),
    D.AS_ISSUER_MISMATCH: lambda d: _as_doc(d)["issuer"] != d.server.issuer,
    D.AS_MISSING_FIELDS: lambda d: "response_types_supported" not in _as_doc(d),
    D.AS_NO_PKCE_ADVERTISED: lambda d: "code_challenge_methods_supported" not in _as_doc(d),
    D.AS_LEGACY_GRANTS: lambda d: "password" in str(_as_doc(d)["grant_types_supported"]),
    D.HTML_200_FALLBACK: lambda d: d.http.get(d.server.urls.rs_origin + "/nope").status_code == 200,
    D.UNAUTH_GET_ALLOWED: lambda d: d.http.get(d.server.mcp_url).status_code == 405,
    D.GARBAGE_TOKEN_500: lambda d: (
        d.http.post(d.server.mcp_url, headers={"Authorization": "Bearer " + "a" * 9000}).status_code
        == 500
    ),
    D.INVALID_TOKEN_BARE_401: lambda d: (
        d.rpc("ping", token="bogus").headers.get("www-authenticate") == "Bearer"
    ),
    D.EXPIRED_ACCEPTED: lambda d: _accepted(d, d.access_token()),
    D.QUERY_TOKEN_ACCEPTED: lambda d: (
        d.http.post(
            d.server.mcp_url, params={"access_token": d.access_token()}, json=INIT
        ).status_code
        == 200
    ),
    D.ANY_SCHEME_ACCEPTED: lambda d: _with_header(d, f"Token {d.access_token()}"),
    D.SCHEME_CASE_SENSITIVE: lambda d: not _with_header(d, f"bearer {d.access_token()}"),
    D.AUDIENCE_NOT_CHECKED: lambda d: _accepted(d, d.access_token(resource=d.server.other_mcp_url)),
    D.ALG_NONE_ACCEPTED: _alg_none,
    D.SIGNATURE_NOT_CHECKED: _bad_signature,
    D.FOREIGN_ISSUER_ACCEPTED: _foreign_key,
    D.SESSION_AUTHENTICATES: _session_alone,
    D.SESSION_NOT_BOUND: _foreign_session,
    D.SCOPE_NOT_ENFORCED: lambda d: _write_with_read_token(d) == 200,
    D.INSUFFICIENT_SCOPE_401: lambda d: _write_with_read_token(d) == 401,
    D.REVOKED_ACCEPTED: _revoked,
    D.ORIGIN_NOT_VALIDATED: lambda d: (
        d.rpc(
            "initialize", {}, token=d.access_token(), headers={"Origin": "http://evil.example"}
        ).status_code
        == 200
    ),
    D.PKCE_OPTIONAL: lambda d: (
        "code" in _authorize_with(d, code_challenge=None, code_challenge_method=None)
    ),
    D.PKCE_PLAIN_ACCEPTED: lambda d: (
        "code" in _authorize_with(d, code_challenge="p" * 43, code_challenge_method="plain")
    ),
    D.PKCE_VERIFIER_NOT_CHECKED: _wrong_verifier,
    D.CODE_REUSABLE: _code_twice,
    D.REDIRECT_PREFIX_MATCH: lambda d: (
        "code" in _authorize_with(d, redirect_uri=REDIRECT_URI + ".x")
    ),
    D.STATE_DROPPED: lambda d: "state" not in _authorize_with(d),
    D.REDIRECT_URI_NOT_CHECKED_AT_TOKEN: _other_redirect_at_token,
    D.REFRESH_NOT_ROTATED: _refresh_not_rotated,
    D.REFRESH_REUSE_ACCEPTED: _refresh_reuse,
    D.CODE_NOT_BOUND_TO_CLIENT: _other_client_redeems,
    D.AUTHZ_307: lambda d: (
        d.authorize(
            d.client(), code_challenge=pkce_pair()[1], code_challenge_method="S256"
        ).status_code
        == 307
    ),
    D.TOKEN_CACHEABLE: lambda d: (
        "no-store"
        not in str(d.redeem(d.client(), *d.code(d.client())).headers.get("cache-control"))
    ),
    D.RESOURCE_IGNORED: lambda d: _accepted(d, d.access_token(resource=d.server.other_mcp_url)),
    D.ERROR_REDIRECT_UNREGISTERED: lambda d: (
        "error" in _authorize_with(d, redirect_uri="https://evil.example/cb")
    ),
    D.DCR_JAVASCRIPT_REDIRECT_ACCEPTED: lambda d: (
        d.register(redirect_uris=["javascript:alert(1)"]).status_code == 201
    ),
    D.NO_REFRESH_TOKEN: lambda d: "refresh_token" not in d.tokens(),
    D.EXACT_LOOPBACK_PORT: lambda d: (
        "code" not in _authorize_with(d, redirect_uri="http://127.0.0.1:50123/callback")
    ),
    D.MISSING_RESOURCE_REJECTED: lambda d: (
        _authorize_with(d, resource=None).get("error") == "invalid_target"
    ),
    D.TOKEN_PASSTHROUGH: _token_passthrough,
    D.WEAK_SESSION_ID: _weak_session_id,
    D.SESSION_BOUND_TO_TOKEN: _session_bound_to_token,
    D.NO_CORS: _no_cors,
    D.CONNECTION_DESYNC: _desync,
    D.CONTENT_LENGTH_CHARS: _length_in_chars,
    **AS_PROBES,
    **HEADER_KEY_PROBES,
    **LOAD_PROBES,
}

MOCK_UPSTREAM = "/upstream"  # a relative upstream_url: the reference serves the upstream itself

# defects sharing a server must not disturb each other's probes
GROUPS: list[tuple[ReferenceConfig, frozenset[Defect]]] = [
    (
        ReferenceConfig(access_token_ttl=0),
        frozenset({D.EXPIRED_ACCEPTED, D.CHALLENGE_ERROR_PARAM, D.PRM_RESOURCE_MISMATCH})
        | {D.PRM_NO_AUTHORIZATION_SERVERS, D.AS_ISSUER_MISMATCH, D.HTML_200_FALLBACK}
        | {D.UNAUTH_GET_ALLOWED, D.GARBAGE_TOKEN_500, D.QUERY_TOKEN_ACCEPTED}
        | {D.ALG_NONE_ACCEPTED, D.SESSION_AUTHENTICATES, D.SCOPE_NOT_ENFORCED}
        | {D.REVOKED_ACCEPTED, D.PKCE_OPTIONAL, D.CODE_REUSABLE, D.REDIRECT_PREFIX_MATCH}
        | {D.REFRESH_NOT_ROTATED, D.AUTHZ_307, D.RESOURCE_IGNORED}
        | {D.DCR_JAVASCRIPT_REDIRECT_ACCEPTED},
    ),
    (
        ReferenceConfig(upstream_url=MOCK_UPSTREAM),
        frozenset({D.NO_CHALLENGE_SCOPE, D.PRM_OMNIBUS_SCOPES, D.AS_MISSING_FIELDS})
        | {D.AS_LEGACY_GRANTS, D.AS_NO_PKCE_ADVERTISED, D.INVALID_TOKEN_BARE_401}
        | {D.ANY_SCHEME_ACCEPTED, D.AUDIENCE_NOT_CHECKED, D.SIGNATURE_NOT_CHECKED}
        | {D.SESSION_NOT_BOUND, D.INSUFFICIENT_SCOPE_401, D.ORIGIN_NOT_VALIDATED}
        | {D.PKCE_PLAIN_ACCEPTED, D.STATE_DROPPED, D.REFRESH_REUSE_ACCEPTED}
        | {D.CODE_NOT_BOUND_TO_CLIENT, D.TOKEN_CACHEABLE, D.ERROR_REDIRECT_UNREGISTERED}
        | {D.MISSING_RESOURCE_REJECTED, D.TOKEN_PASSTHROUGH, D.WEAK_SESSION_ID},
    ),
    (
        ReferenceConfig(),
        frozenset({D.NO_CHALLENGE, D.PRM_MISSING, D.AS_METADATA_MISSING})
        | {D.SCHEME_CASE_SENSITIVE, D.PKCE_VERIFIER_NOT_CHECKED, D.NO_REFRESH_TOKEN}
        | {D.EXACT_LOOPBACK_PORT, D.REDIRECT_URI_NOT_CHECKED_AT_TOKEN, D.FOREIGN_ISSUER_ACCEPTED},
    ),
    (
        ReferenceConfig(token_format="opaque"),
        frozenset({D.REVOKED_ACCEPTED, D.AUDIENCE_NOT_CHECKED, D.SCOPE_NOT_ENFORCED}),
    ),
    (ReferenceConfig(), frozenset({D.SESSION_BOUND_TO_TOKEN, D.NO_CORS})),
    (ReferenceConfig(), frozenset({D.CONNECTION_DESYNC})),  # corrupts every reused connection
    (ReferenceConfig(), frozenset({D.CONTENT_LENGTH_CHARS})),  # so does this
]


ALL_GROUPS = [*GROUPS, *AS_GROUPS, *HEADER_KEY_GROUPS, *LOAD_GROUPS]


def test_every_defect_has_a_probe_a_group_and_a_description() -> None:
    assert set(PROBES) == set(Defect) == set(DEFECT_DESCRIPTIONS)
    grouped = set().union(*(defects for config, defects in ALL_GROUPS))
    assert grouped == set(Defect)
    assert all(Defect(d.value).description for d in Defect)


def test_parse_defects_names_the_valid_ones() -> None:
    assert parse_defects(["PKCE-optional"]) == {D.PKCE_OPTIONAL}
    with pytest.raises(ValueError, match="Valid defects: challenge-error-param"):
        parse_defects(["nope"])


@pytest.fixture(scope="module", params=["jwt", "opaque"])
def correct(request: pytest.FixtureRequest) -> Iterator[Driver]:
    with running(ReferenceConfig(token_format=request.param, upstream_url=MOCK_UPSTREAM)) as d:
        yield d


@pytest.mark.parametrize("defect", [d for d in Defect if d is not D.EXPIRED_ACCEPTED])
def test_probe_is_false_on_a_correct_server(correct: Driver, defect: Defect) -> None:
    assert not PROBES[defect](correct), f"correct server looks like {defect}"


def test_expired_tokens_are_refused_by_a_correct_server() -> None:
    with running(ReferenceConfig(access_token_ttl=0)) as d:
        assert not PROBES[D.EXPIRED_ACCEPTED](d)


@pytest.mark.parametrize(("config", "defects"), ALL_GROUPS)
def test_each_defect_shows_its_bug(config: ReferenceConfig, defects: frozenset[Defect]) -> None:
    with running(ReferenceConfig(**{**_fields(config), "defects": defects})) as d:
        missing = sorted(defect for defect in defects if not PROBES[defect](d))
    assert missing == [], f"defects without their bug: {missing}"


def _fields(config: ReferenceConfig) -> dict[str, object]:
    return {name: getattr(config, name) for name in ReferenceConfig.__dataclass_fields__}
