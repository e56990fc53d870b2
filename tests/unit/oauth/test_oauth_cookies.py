from __future__ import annotations

import httpx

from harness.exchange import Exchange, RecordedRequest
from harness.http import Response
from harness.oauth.cookies import CookieJar


def response(url: str, *set_cookies: str) -> Response:
    exchange = Exchange(request=RecordedRequest(method="GET", url=url, headers=()), response=None)
    headers = httpx.Headers([("set-cookie", value) for value in set_cookies])
    return Response(status=200, headers=headers, body=b"", url=url, exchange=exchange)


def test_cookies_go_back_to_the_same_host_only() -> None:
    jar = CookieJar()
    jar.store(response("http://as.test:8080/login", "sid=abc; Path=/; HttpOnly", "lang=de"))
    assert jar.header("http://as.test:9090/other") == "sid=abc; lang=de"
    assert jar.header("http://other.test/") is None


def test_cookies_are_replaced_and_expired() -> None:
    jar = CookieJar()
    jar.store(response("http://as.test/", "sid=one", "keep=1"))
    jar.store(response("http://as.test/", "sid=two"))
    assert jar.header("http://as.test/") == "sid=two; keep=1"
    jar.store(response("http://as.test/", "sid=; Max-Age=0"))
    jar.store(response("http://as.test/", "keep=; Expires=Thu, 01 Jan 1970 00:00:00 GMT"))
    assert jar.header("http://as.test/") is None


def test_malformed_set_cookie_is_ignored() -> None:
    jar = CookieJar()
    jar.store(response("http://as.test/", "novalue", "=x", "ok=1; Max-Age=abc"))
    assert jar.header("http://as.test/") == "ok=1"
