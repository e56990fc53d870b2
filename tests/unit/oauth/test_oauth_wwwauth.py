from __future__ import annotations

import pytest

from harness.oauth.wwwauth import Challenge, find_bearer, parse_www_authenticate


def test_single_bearer_challenge() -> None:
    (c,) = parse_www_authenticate(
        ['Bearer realm="mcp", resource_metadata="https://h/.well-known/oauth-protected-resource"']
    )
    assert c.scheme == "Bearer"
    assert c.params == {
        "realm": "mcp",
        "resource_metadata": "https://h/.well-known/oauth-protected-resource",
    }
    assert c.token68 is None


def test_several_challenges_in_one_field() -> None:
    challenges = parse_www_authenticate(['Bearer realm="a", error="x", DPoP algs="ES256 PS256"'])
    assert [c.scheme for c in challenges] == ["Bearer", "DPoP"]
    assert challenges[0].params == {"realm": "a", "error": "x"}
    assert challenges[1].params == {"algs": "ES256 PS256"}


def test_several_fields() -> None:
    challenges = parse_www_authenticate(['Basic realm="b"', 'Bearer scope="notes:read"'])
    assert [c.scheme for c in challenges] == ["Basic", "Bearer"]
    assert challenges[1].scopes == ("notes:read",)


def test_quoted_commas_and_escaped_quotes() -> None:
    (c,) = parse_www_authenticate(
        [r'Bearer error_description="bad, \"really\" bad", scope="a b,c"']
    )
    assert c.params["error_description"] == 'bad, "really" bad'
    assert c.params["scope"] == "a b,c"
    assert c.scopes == ("a", "b,c")


def test_rfc9110_example() -> None:
    value = 'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"'
    newauth, basic = parse_www_authenticate([value])
    assert newauth.params == {"realm": "apps", "type": "1", "title": 'Login to "apps"'}
    assert basic.scheme == "Basic"
    assert basic.params == {"realm": "simple"}


@pytest.mark.parametrize(
    ("value", "token68"),
    [("Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"), ("Negotiate abc==", "abc=="), ("X a/b+c~", "a/b+c~")],
)
def test_token68(value: str, token68: str) -> None:
    (c,) = parse_www_authenticate([value])
    assert c.token68 == token68
    assert c.params == {}


def test_token68_then_another_challenge() -> None:
    first, second = parse_www_authenticate(["Negotiate abc=, Bearer realm=x"])
    assert first.token68 == "abc="
    assert second.scheme == "Bearer"
    assert second.params == {"realm": "x"}


def test_odd_whitespace_case_and_empty_list_elements() -> None:
    challenges = parse_www_authenticate(
        ['  ,  bEaReR\tREALM = "r" ,\t Error=invalid_token ,, , basic  ']
    )
    assert [c.scheme for c in challenges] == ["bEaReR", "basic"]
    assert challenges[0].params == {"realm": "r", "error": "invalid_token"}
    bearer = find_bearer(challenges)
    assert bearer is not None
    assert bearer.param("ERROR") == "invalid_token"


def test_scheme_without_params() -> None:
    challenges = parse_www_authenticate(["Bearer"])
    assert challenges == (Challenge(scheme="Bearer"),)


def test_duplicate_params_keep_the_first() -> None:
    (c,) = parse_www_authenticate(['Bearer scope="a", Scope="b"'])
    assert c.params["scope"] == "a"
    assert c.duplicate_params == ("scope",)


def test_unquoted_url_value() -> None:
    (c,) = parse_www_authenticate(["Bearer resource_metadata=https://h/x?y=1"])
    assert c.params["resource_metadata"] == "https://h/x?y=1"


@pytest.mark.parametrize(
    "value",
    ['Bearer realm="unterminated', "=== , ,", '"quoted" Bearer', "Bearer a=", "\x00\x01", ""],
)
def test_malformed_never_raises(value: str) -> None:
    parse_www_authenticate([value])


def test_unterminated_quote_takes_the_rest() -> None:
    (c,) = parse_www_authenticate(['Bearer realm="abc, error=x'])
    assert c.params == {"realm": "abc, error=x"}


def test_find_bearer_none() -> None:
    assert find_bearer(parse_www_authenticate(['Basic realm="x"'])) is None
    assert find_bearer(()) is None
