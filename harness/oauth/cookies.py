"""A per-flow cookie jar: `Set-Cookie` from a host goes back to that host only.

The HTTP layer keeps no cookies (flows of different users run concurrently), so each login flow
carries its own. Deliberately simple: no domain or path scoping beyond the exact host.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from harness.http import Response


class CookieJar:
    def __init__(self) -> None:
        self._by_host: dict[str, dict[str, str]] = {}

    def store(self, response: Response) -> None:
        """Remember the cookies `response` sets for its host (expired ones are removed)."""
        cookies = self._by_host.setdefault(_host(response.url), {})
        for header in response.header_all("set-cookie"):
            pair, *attributes = header.split(";")
            name, sep, value = pair.partition("=")
            if not sep or not name.strip():
                continue
            if _expired(attributes):
                cookies.pop(name.strip(), None)
            else:
                cookies[name.strip()] = value.strip()

    def header(self, url: str) -> str | None:
        """The `Cookie` header value for a request to `url`, or None when there is none."""
        cookies = self._by_host.get(_host(url))
        if not cookies:
            return None
        return "; ".join(f"{name}={value}" for name, value in cookies.items())


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _expired(attributes: list[str]) -> bool:
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        key = key.strip().lower()
        if key == "max-age":
            try:
                return int(value.strip()) <= 0
            except ValueError:
                return False
        if key == "expires":
            try:
                return parsedate_to_datetime(value.strip()).timestamp() <= time.time()
            except (TypeError, ValueError):
                return False
    return False
