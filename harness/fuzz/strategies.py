"""Hypothesis strategies for OAuth and bearer inputs, built from the target's real flow values.

Every strategy draws a `Mutation`: the parameter it changes, the mutation class (named in results,
e.g. `redirect.path-confusion`) and the value. Each is derived from a value of the happy path (the
registered redirect URI, the requested scope, a real access token), so shrinking ends at the
smallest edit of a real request. Public API, usable in a vendor's own hypothesis tests::

    from hypothesis import given
    from harness.fuzz.strategies import redirect_uris

    @given(redirect_uris("http://127.0.0.1:33418/callback", attacker="http://127.0.0.1:9"))
    def test_only_registered_redirects(mutation):
        assert mutation.value != "http://127.0.0.1:33418/callback"
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

from hypothesis import strategies as st
from joserfc import jws
from joserfc.jwk import ECKey

__all__ = [
    "Mutation",
    "bearer_tokens",
    "client_auth_variants",
    "code_challenges",
    "code_verifiers",
    "dcr_bodies",
    "grant_types",
    "redirect_uris",
    "resources",
    "scopes",
    "states",
]

UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
_ODD = " +/=%&#?\\\"'<>\t\n\r\x00\u00e9\u0430\u200b\U0001f600"


@dataclass(frozen=True, slots=True)
class Mutation:
    """One changed input. `value` None omits the parameter; `data` carries structured values
    (a DCR body, client authentication) as JSON-compatible data."""

    field: str
    kind: str  # the mutation class, e.g. "redirect.parser-differential"
    value: str | None = None
    data: object = None

    def to_json(self) -> dict[str, object]:
        return {"field": self.field, "kind": self.kind, "value": self.value, "data": self.data}

    @classmethod
    def from_json(cls, obj: dict[str, object]) -> Mutation:
        value = obj.get("value")
        return cls(
            field=str(obj["field"]),
            kind=str(obj["kind"]),
            value=value if isinstance(value, str) else None,
            data=obj.get("data"),
        )


def _m(field: str, kind: str) -> Callable[[str | None], Mutation]:
    return lambda value: Mutation(field, kind, value)


# --- redirect URIs -------------------------------------------------------------------------------


def _with(uri: str, **parts: str) -> str:
    return urlunsplit(urlsplit(uri)._replace(**parts))


def redirect_uris(registered: str, *, attacker: str) -> st.SearchStrategy[Mutation]:
    """Mutations of the `registered` redirect URI; `attacker` is an origin the harness watches
    (a canary listener), used where a mutation moves the redirect to another host. Every value
    differs from `registered` by more than a loopback port (RFC 8252 §7.3 allows that)."""
    parts = urlsplit(registered)
    path = parts.path or "/"
    host = parts.hostname or "127.0.0.1"
    netloc = parts.netloc
    evil = urlsplit(attacker).netloc
    segment = st.text(UNRESERVED, min_size=1, max_size=8)
    path_confusion = st.one_of(
        segment.map(lambda s: _with(registered, path=path.rstrip("/") + "/" + s)),
        segment.map(lambda s: _with(registered, path=path + s)),
        st.sampled_from(
            [
                path + "/",
                path + "/..",
                path + "/../x",
                path + "%2f..",
                path + "%2F",
                path + "/.",
                path + ";x",
                path + "/%2e%2e/",
                "/" + path.lstrip("/").upper(),
                path + "%00",
            ]
        ).map(lambda p: _with(registered, path=p)),
    ).map(_m("redirect_uri", "redirect.path-confusion"))
    pollution = st.one_of(
        st.sampled_from(["code", "state", "redirect_uri", "iss", "error", "x"]).flatmap(
            lambda k: segment.map(lambda v: _with(registered, query=f"{k}={v}"))
        ),
        st.just(_with(registered, query="redirect_uri=" + quote(attacker + "/cb", safe=""))),
    ).map(_m("redirect_uri", "redirect.parameter-pollution"))
    differential = (
        st.sampled_from(
            [
                f"{parts.scheme}://{netloc}@{evil}{path}",
                f"{parts.scheme}://{evil}\\@{netloc}{path}",
                f"{parts.scheme}://{netloc}\\@{evil}{path}",
                f"{parts.scheme}://{evil}#@{netloc}{path}",
                f"{parts.scheme}://{netloc}{path}\\..\\",
                f"{parts.scheme}:/{netloc}{path}",
                f"{parts.scheme}:///{netloc}{path}",
                f"{parts.scheme}://{netloc}//{evil}{path}",
                f"{parts.scheme}://{netloc}\t{path}",
                f"{parts.scheme}://{netloc}{path}\n",
                f"{parts.scheme}://{netloc}{path}%0d%0aLocation:%20{attacker}",
                f"{parts.scheme}://{netloc}{quote(path, safe='')}",
                f"{parts.scheme}://{netloc}{_percent_encoded(path)}",
                f"{parts.scheme}://{netloc}{_look_alike(path)}",
                f"{parts.scheme}://{host}.:{parts.port or 80}{path}",
                f"{parts.scheme.upper()}://{netloc}{path}",
                f"{parts.scheme}://{netloc.upper()}{path}"
                if netloc.upper() != netloc
                else f"{parts.scheme}://{netloc}{path.upper()}",
                f"{parts.scheme}://0x7f000001:{parts.port or 80}{path}",
                f"{parts.scheme}://2130706433:{parts.port or 80}{path}",
                f"{parts.scheme}://[::ffff:127.0.0.1]:{parts.port or 80}{path}",
                f" {registered}",
                f"{registered} ",
            ]
        )
        .filter(lambda u: u != registered)
        .map(_m("redirect_uri", "redirect.parser-differential"))
    )
    scheme_swap = st.sampled_from(
        [
            "javascript:alert(document.domain)//" + netloc + path,
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "file://" + path,
            "com.evil.app:" + path,
            "https://" + netloc + path if parts.scheme == "http" else "http://" + netloc + path,
            "ftp://" + netloc + path,
        ]
    ).map(_m("redirect_uri", "redirect.scheme-swap"))
    loopback = st.one_of(
        st.sampled_from(
            [
                f"{parts.scheme}://{name}:{parts.port or 80}{path}"
                for name in ("localhost", "127.0.0.1", "[::1]", "127.0.0.2", "127.1", "0.0.0.0")  # noqa: S104 - a URI
                if name != host
            ]
        ),
        st.sampled_from([attacker + "/", attacker, attacker + path + "/x"]),
    ).map(_m("redirect_uri", "redirect.loopback-variant"))
    fragment = st.one_of(
        st.just(registered + "#"),
        segment.map(lambda s: registered + "#" + s),
        st.just(registered + "#@" + evil),
    ).map(_m("redirect_uri", "redirect.fragment"))
    return st.one_of(path_confusion, pollution, differential, scheme_swap, loopback, fragment)


_CYRILLIC_ES = "\u0441"  # looks like a Latin c


def _percent_encoded(path: str) -> str:
    """The path with one unreserved letter percent-encoded (equal after RFC 3986 §6.2.2.2
    normalisation, different as a string)."""
    for i, char in enumerate(path):
        if char.isalpha():
            return f"{path[:i]}%{ord(char):02X}{path[i + 1 :]}"
    return path + "%41"


def _look_alike(path: str) -> str:
    return path.replace("c", _CYRILLIC_ES, 1) if "c" in path else path + _CYRILLIC_ES


# --- authorization and token parameters ----------------------------------------------------------


def _texts(alphabet: str, max_size: int) -> st.SearchStrategy[str]:
    return st.text(st.sampled_from(alphabet), max_size=max_size)


def scopes(requested: str | None, known: tuple[str, ...] = ()) -> st.SearchStrategy[Mutation]:
    """`scope` values: whitespace, Unicode, duplicates, huge, unknown (RFC 6749 §3.3 ABNF)."""
    base = (requested or "").split()
    words = st.sampled_from([*base, *known]) if base or known else st.just("read")
    return st.one_of(
        st.lists(words, min_size=2, max_size=6).map(" ".join).map(_m("scope", "scope.duplicates")),
        st.sampled_from([" ", "\t", "\n", "  ", "\u00a0", "\u3000"])
        .map(lambda ws: ws.join(base or ["read"]) + ws)
        .map(_m("scope", "scope.whitespace")),
        _texts(UNRESERVED + _ODD, 40).map(_m("scope", "scope.charset")),
        st.text(UNRESERVED, min_size=1, max_size=20)
        .map(lambda s: f"{' '.join(base)} x-{s}".strip())
        .map(_m("scope", "scope.unknown")),
        st.integers(1000, 20000).map(lambda n: ("a " * n).strip()).map(_m("scope", "scope.huge")),
        st.sampled_from(["*", "offline_access", "admin", "openid"])
        .map(lambda extra: f"{' '.join(base)} {extra}".strip())
        .map(_m("scope", "scope.omnibus")),
    )


def states() -> st.SearchStrategy[Mutation]:
    """`state` values: empty, one character, long, percent-encoded, Unicode."""
    return st.one_of(
        st.text(UNRESERVED, min_size=1, max_size=64).map(_m("state", "state.ordinary")),
        _texts(UNRESERVED + _ODD, 64).filter(bool).map(_m("state", "state.charset")),
        st.integers(500, 4000).map(lambda n: "s" * n).map(_m("state", "state.long")),
        st.sampled_from(["%2F", "%00", "a%20b", "+", "&code=x", "#frag"]).map(
            _m("state", "state.encoding")
        ),
    )


def code_challenges() -> st.SearchStrategy[Mutation]:
    """`code_challenge` / `code_challenge_method` edits (RFC 7636 §4.2): absent, plain, odd
    methods, lengths 0 to 200 and illegal characters."""
    methods = st.sampled_from(["plain", "s256", "S512", "SHA256", "", "none", "S256 "])
    return st.one_of(
        st.just(Mutation("code_challenge", "pkce.challenge-missing", None)),
        methods.map(_m("code_challenge_method", "pkce.method")),
        st.just(Mutation("code_challenge_method", "pkce.method-missing", None)),
        _texts(UNRESERVED, 200).map(_m("code_challenge", "pkce.challenge-length")),
        _texts(UNRESERVED + _ODD, 60).map(_m("code_challenge", "pkce.challenge-charset")),
    )


def code_verifiers() -> st.SearchStrategy[Mutation]:
    """Wrong `code_verifier` values: missing, lengths 0 to 200, illegal characters, and near misses
    (edits of the real verifier, applied at sending time by `apply_edit`)."""
    return st.one_of(
        st.just(Mutation("code_verifier", "pkce.verifier-missing", None)),
        st.text(UNRESERVED, min_size=43, max_size=128).map(
            lambda v: _edit("code_verifier", "pkce.verifier-wrong", "replace", v)
        ),
        _texts(UNRESERVED, 200).map(
            lambda v: _edit("code_verifier", "pkce.verifier-length", "replace", v)
        ),
        _texts(UNRESERVED + _ODD, 60).map(
            lambda v: _edit("code_verifier", "pkce.verifier-charset", "replace", v)
        ),
        st.one_of(
            st.just({"op": "truncate", "arg": 10**6}),
            st.sampled_from(["A", "~", " "]).map(lambda s: {"op": "append", "arg": s}),
            st.just({"op": "swapcase"}),
            st.just({"op": "prefix", "arg": " "}),
            st.integers(0, 127).map(lambda i: {"op": "flip", "arg": i}),
        ).map(lambda e: Mutation("code_verifier", "pkce.verifier-near-miss", None, e)),
    )


def resources(resource: str) -> st.SearchStrategy[Mutation]:
    """`resource` (RFC 8707) edits: another path, trailing slash, fragment, relative, foreign."""
    return st.one_of(
        st.sampled_from(
            [
                resource + "/",
                resource + "/x",
                resource + "#f",
                "/mcp",
                "https://evil.example/mcp",
                resource.upper(),
                "",
                "urn:x",
            ]
        )
        .filter(lambda r: r != resource)
        .map(_m("resource", "resource.mismatch")),
        _texts(UNRESERVED + _ODD, 30).map(_m("resource", "resource.garbage")),
    )


def grant_types() -> st.SearchStrategy[Mutation]:
    """`grant_type` values a code redemption must not succeed with."""
    return st.one_of(
        st.sampled_from(
            [
                "password",
                "implicit",
                "client_credentials",
                "AUTHORIZATION_CODE",
                "authorization_code ",
                "",
                "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "refresh_token",
            ]
        ).map(_m("grant_type", "grant.unsupported")),
        st.just(Mutation("grant_type", "grant.missing", None)),
        _texts(UNRESERVED + _ODD, 30).map(_m("grant_type", "grant.garbage")),
    )


def client_auth_variants(client_id: str) -> st.SearchStrategy[Mutation]:
    """Client authentication edits: another, a near-miss or a missing `client_id`."""
    return st.one_of(
        st.just(Mutation("client_id", "client.missing", None)),
        st.text(UNRESERVED, min_size=1, max_size=40)
        .filter(lambda c: c != client_id)
        .map(_m("client_id", "client.unknown")),
        st.sampled_from([client_id + "x", client_id[:-1], client_id.upper(), " " + client_id])
        .filter(lambda c: c != client_id)
        .map(_m("client_id", "client.near-miss")),
    )


# --- registration ---------------------------------------------------------------------------------


_DANGEROUS_URIS = (
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://evil.example/cb",
    "http://127.0.0.1:33418/cb#frag",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "http://169.254.169.254/latest/meta-data/",
    "//evil.example/cb",
    "/relative/cb",
    "",
)


def dcr_bodies(base: dict[str, object], *, intrusive: bool = False) -> st.SearchStrategy[Mutation]:
    """Registration bodies (RFC 7591 §2) derived from a typical one: dangerous redirect URIs,
    wrong types and missing fields; with `intrusive`, also bodies a server may accept (extra
    fields, huge arrays, dangerous `logo_uri`/`jwks_uri`/`client_uri`), which create clients."""

    def body(**changes: object) -> dict[str, object]:
        out = {k: v for k, v in base.items() if k not in changes or changes[k] is not _OMIT}
        out.update({k: v for k, v in changes.items() if v is not _OMIT})
        return out

    redirect = st.lists(st.sampled_from(_DANGEROUS_URIS), min_size=1, max_size=3).map(
        lambda uris: Mutation("body", "dcr.dangerous-redirect", data=body(redirect_uris=uris))
    )
    changes: list[dict[str, object]] = [
        {"redirect_uris": "http://127.0.0.1:33418/callback"},
        {"redirect_uris": [1, 2]},
        {"redirect_uris": [None]},
        {"redirect_uris": {}},
        {"redirect_uris": []},
        {"grant_types": "authorization_code"},
        {"token_endpoint_auth_method": 5},
        {"response_types": [["code"]]},
    ]
    wrong_type = st.sampled_from(changes).map(
        lambda change: Mutation("body", "dcr.wrong-type", data=body(**change))
    )
    missing = st.just(Mutation("body", "dcr.missing-redirect-uris", data=body(redirect_uris=_OMIT)))
    options: list[st.SearchStrategy[Mutation]] = [redirect, wrong_type, missing]
    if intrusive:
        uri_fields = st.sampled_from(
            ["logo_uri", "jwks_uri", "client_uri", "policy_uri", "tos_uri"]
        )
        options += [
            st.tuples(uri_fields, st.sampled_from(_DANGEROUS_URIS)).map(
                lambda fv: Mutation("body", "dcr.dangerous-uri-field", data=body(**{fv[0]: fv[1]}))
            ),
            st.dictionaries(
                st.text(UNRESERVED, min_size=1, max_size=10), st.text(max_size=10), max_size=5
            ).map(lambda extra: Mutation("body", "dcr.extra-fields", data={**extra, **base})),
            st.integers(100, 2000).map(
                lambda n: Mutation(
                    "body",
                    "dcr.huge-array",
                    data=body(redirect_uris=[f"http://127.0.0.1:{1024 + i}/cb" for i in range(n)]),
                )
            ),
        ]
    return st.one_of(*options)


_OMIT = object()


# --- bearer tokens and edits of real secrets -------------------------------------------------
#
# A mutation of a secret (a token, a verifier) is an *edit* applied to the real value at the time
# of sending: the value changes every flow, the edit does not, so a failure replays against fresh
# tokens and a report shows the edit, never the secret.


@functools.cache
def _fuzzer_ec_key() -> ECKey:
    return ECKey.generate_key("P-256")


def _embedded_jwk_token(header: dict[str, object], claims: dict[str, object]) -> str:
    key = _fuzzer_ec_key()
    edited = {**header, "alg": "ES256", "jwk": key.as_dict(private=False)}
    edited.pop("kid", None)
    payload = json.dumps(claims, separators=(",", ":")).encode()
    return jws.serialize_compact(edited, payload, key, algorithms=["ES256"])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _jwt_parts(token: str) -> tuple[dict[str, object], dict[str, object], str] | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header, claims = json.loads(_unb64(parts[0])), json.loads(_unb64(parts[1]))
    except ValueError:
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return header, claims, parts[2]


def _segment(document: dict[str, object]) -> str:
    return _b64(json.dumps(document, separators=(",", ":")).encode())


def _set(document: dict[str, object], key: str, value: object) -> dict[str, object]:
    out = dict(document)
    if value is None:
        out.pop(key, None)
    else:
        out[key] = value
    return out


def _flip_position(real: str, i: int) -> int:
    """A position whose character carries data: the last character of a base64url segment may
    hold only padding bits, and changing those leaves the decoded bytes unchanged."""
    ends = {j - 1 for j, c in enumerate(real) if c == "."} | {len(real) - 1}
    positions = [j for j in range(len(real)) if j not in ends and real[j] != "."]
    return positions[i % len(positions)] if positions else 0


def apply_edit(real: str, edit: dict[str, object]) -> str:
    """The value `edit` makes of `real` (see `bearer_tokens`, `code_verifiers`)."""
    op, arg = str(edit.get("op")), edit.get("arg")
    if op == "replace":
        return str(arg)
    if op == "truncate":
        return real[: max(1, min(int(str(arg)), len(real) - 1))]
    if op == "flip":
        i = _flip_position(real, int(str(arg)))
        return real[:i] + ("w" if real[i] in "ABCDEFGHIJKLMNOP" else "A") + real[i + 1 :]
    if op == "append":
        return real + str(arg)
    if op == "prefix":
        return str(arg) + real
    if op == "swapcase":
        return real.swapcase()
    if op == "scheme":
        return f"{arg} {real}" if arg else real
    if op == "signature":
        return real.rsplit(".", 1)[0] + str(arg)
    parsed = _jwt_parts(real)
    if parsed is None:
        return real + "x"
    header, claims, signature = parsed
    key, value = edit.get("key"), edit.get("value")
    if op == "resign-embedded-jwk":
        return _embedded_jwk_token(header, claims)
    if op == "resign-hs256":
        edited = _set(_set(header, "alg", "HS256"), "kid", str(arg))
        signing_input = f"{_segment(edited)}.{_segment(claims)}"
        mac = hmac.new(b"", signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(mac)}"
    if op == "claim":
        return f"{_segment(header)}.{_segment(_set(claims, str(key), value))}.{signature}"
    if op == "header":
        unsigned = key == "alg" and value == "none"
        edited = _set(header, str(key), value)
        return f"{_segment(edited)}.{_segment(claims)}.{'' if unsigned else signature}"
    raise ValueError(f"unknown edit {op!r}")


def _edit(field: str, kind: str, op: str, arg: object = None, **more: object) -> Mutation:
    return Mutation(field, kind, None, {"op": op, "arg": arg, **more})


def bearer_tokens(real: str) -> st.SearchStrategy[Mutation]:
    """Edits of a real access token a resource server must refuse: random strings, truncations
    and character flips, other schemes and, for a JWT, structural edits of header, claims and
    signature (the signature is kept, so each edit invalidates it). `real` only decides which
    edits apply; `apply_edit` makes the token at sending time."""
    random_tokens = st.one_of(
        st.text(UNRESERVED, min_size=1, max_size=200),
        st.text(UNRESERVED + _ODD, min_size=1, max_size=60),
        st.integers(8 * 1024, 64 * 1024).map(lambda n: "A" * n),
    ).map(lambda t: _edit("token", "bearer.random", "replace", t))
    options: list[st.SearchStrategy[Mutation]] = [
        random_tokens,
        st.integers(1, 4096).map(lambda n: _edit("token", "bearer.truncated", "truncate", n)),
        st.integers(0, 4096).map(lambda i: _edit("token", "bearer.char-flip", "flip", i)),
        st.sampled_from(["Token", "Basic", "DPoP", "", "Bearerx", "MAC"]).map(
            lambda s: _edit("authorization", "bearer.scheme", "scheme", s)
        ),
    ]
    if _jwt_parts(real) is not None:
        claims = st.sampled_from(
            [
                ("exp", 1),
                ("exp", None),
                ("aud", "https://evil.example/mcp"),
                ("iss", "https://evil.example"),
                ("sub", "mallory"),
                ("scope", "admin *"),
                ("nbf", 4102444800),
                ("aud", None),
                ("iss", None),
            ]
        ).map(lambda kv: _edit("token", "bearer.jwt-claims", "claim", key=kv[0], value=kv[1]))
        headers = st.sampled_from(
            [
                ("alg", "none"),
                ("alg", "None"),
                ("alg", "HS256"),
                ("kid", "../../dev/null"),
                ("kid", "unknown"),
                ("jku", "https://evil.example/jwks"),
                ("alg", None),
            ]
        ).map(lambda kv: _edit("token", "bearer.jwt-header", "header", key=kv[0], value=kv[1]))
        signatures = st.one_of(
            st.sampled_from([".", ""]),
            st.text(UNRESERVED[:-4], min_size=1, max_size=86).map(lambda s: "." + s),
        ).map(lambda s: _edit("token", "bearer.jwt-signature", "signature", s))
        # re-signed with HS256 and the empty key a `kid` naming an empty file gives a server that
        # reads kid as a path (the signature is valid for that key, not for the issuer's)
        resigned = st.sampled_from(
            ["/dev/null", "../../../../../../dev/null", "../../dev/null", "/proc/self/nonexistent"]
        ).map(lambda kid: _edit("token", "bearer.jwt-kid-key", "resign-hs256", kid))
        # re-signed with a fuzzer's EC key embedded as the header's own `jwk`
        embedded = st.just(_edit("token", "bearer.jwt-embedded-jwk", "resign-embedded-jwk"))
        options += [claims, headers, signatures, resigned, embedded]
    return st.one_of(*options)
