from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import httpx

from harness.exchange import Exchange, RecordedRequest
from harness.http import Response
from harness.oauth.forms import parse_forms
from harness.oauth.login import AutoLogin, FormLogin

LOGIN_PAGE = """<!doctype html>
<html><body>
<h1>Sign in</h1>
<form method="post" action="/login?flow=abc">
  <input type="hidden" name="csrf_token" value="c5rf-v4lue">
  <label>Email <input type="email" name="email"></label>
  <input type="password" name="password">
  <input type="checkbox" name="remember" checked>
  <input type="checkbox" name="spam">
  <select name="lang"><option value="de">Deutsch<option value="en" selected>English</select>
  <button type="submit" name="op" value="login">Sign in</button>
  <button type="button">Show password</button>
</form>
<form action="/search"><input name="q"></form>
</body></html>"""

CONSENT_PAGE = """<html><body>
<p>Allow "Harness" to read your notes?</p>
<FORM METHOD="POST">
  <INPUT TYPE="hidden" NAME="request_id" VALUE="r-1">
  <textarea name="note">hello &amp; bye</textarea>
  <input type="submit" name="decision" value="Deny">
  <input type="submit" name="decision" value="Allow">
</FORM>
</body></html>"""


def page(body: str, url: str, content_type: str = "text/html; charset=utf-8") -> Response:
    exchange = Exchange(request=RecordedRequest(method="GET", url=url, headers=()), response=None)
    return Response(
        status=200,
        headers=httpx.Headers({"content-type": content_type}),
        body=body.encode(),
        url=url,
        exchange=exchange,
    )


def test_parse_forms_login_page() -> None:
    login, search = parse_forms(LOGIN_PAGE)
    assert login.method == "POST"
    assert login.action == "/login?flow=abc"
    assert login.has_password
    assert [(f.name, f.type, f.value) for f in login.fields] == [
        ("csrf_token", "hidden", "c5rf-v4lue"),
        ("email", "email", ""),
        ("password", "password", ""),
        ("remember", "checkbox", "on"),
        ("lang", "select", "en"),
    ]
    assert [(b.name, b.value, b.label) for b in login.buttons] == [("op", "login", "Sign in")]
    assert search.method == "GET"
    assert not search.has_password


def test_parse_forms_uppercase_textarea_and_unclosed() -> None:
    (consent,) = parse_forms(CONSENT_PAGE)
    assert consent.action is None
    assert [(f.name, f.value) for f in consent.fields] == [
        ("request_id", "r-1"),
        ("note", "hello & bye"),
    ]
    assert [b.value for b in consent.buttons] == ["Deny", "Allow"]
    (unclosed,) = parse_forms('<form action="/x"><input name="a" value="1">')
    assert unclosed.fields[0].value == "1"


def test_form_login_fills_credentials_and_keeps_hidden_fields() -> None:
    driver = FormLogin(username="alice@example.com", password="s3cret-pw")
    step = driver.next_submission(page(LOGIN_PAGE, "http://as.test/login?flow=abc"), logins_sent=0)
    assert not isinstance(step, str)
    assert step.method == "POST"
    assert step.url == "http://as.test/login?flow=abc"
    assert step.kind == "login"
    assert dict(step.fields) == {
        "csrf_token": "c5rf-v4lue",
        "email": "alice@example.com",
        "password": "s3cret-pw",
        "remember": "on",
        "lang": "en",
        "op": "login",
    }
    assert step.secrets == ("s3cret-pw",)


def test_form_login_stops_when_the_login_form_comes_back() -> None:
    driver = FormLogin(username="alice", password="wrong-pw")
    step = driver.next_submission(page(LOGIN_PAGE, "http://as.test/login"), logins_sent=1)
    assert isinstance(step, str)
    assert "wrong username or password" in step


def test_consent_chooses_the_approving_button() -> None:
    driver = FormLogin(username="alice", password="pw-123456")
    step = driver.next_submission(page(CONSENT_PAGE, "http://as.test/consent?x=1#f"), logins_sent=1)
    assert not isinstance(step, str)
    assert step.kind == "consent"
    assert step.url == "http://as.test/consent?x=1"
    assert dict(step.fields) == {"request_id": "r-1", "note": "hello & bye", "decision": "Allow"}


def test_get_form_puts_fields_in_the_query() -> None:
    html = '<form action="consent?old=1"><input type="hidden" name="ok" value="y z"></form>'
    step = FormLogin(username="u", password="p").next_submission(
        page(html, "http://as.test/a/b"), logins_sent=0
    )
    assert not isinstance(step, str)
    assert step.method == "GET"
    parts = urlsplit(step.url)
    assert parts.path == "/a/consent"
    assert parse_qsl(parts.query) == [("ok", "y z")]


def test_form_login_refuses_pages_without_forms_or_html() -> None:
    driver = FormLogin(username="u", password="p")
    assert isinstance(
        driver.next_submission(page("<p>hi</p>", "http://as.test/"), logins_sent=0), str
    )
    json_page = page("{}", "http://as.test/", content_type="application/json")
    assert "HTML" in str(driver.next_submission(json_page, logins_sent=0))


def test_auto_login_never_submits() -> None:
    step = AutoLogin().next_submission(page(LOGIN_PAGE, "http://as.test/login"), logins_sent=0)
    assert isinstance(step, str)
    assert "form login mode" in step
