"""The interactive part of `login="form"`: a login form, then a consent form.

Plain HTML with no scripts. Each pending authorization is a server-side transaction bound to a
browser cookie and carrying a CSRF token in a hidden field, so a form can't be replayed from
another browser.
"""

from __future__ import annotations

import html
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Final

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from simulators.reference.config import USERS
from simulators.reference.models import LoginTransaction, User
from simulators.reference.store import OAuthStore
from simulators.reference.urls import ReferenceUrls

BROWSER_COOKIE: Final = "reference_browser"
TRANSACTION_TTL: Final = 600.0

#: Called with the stored authorization parameters and the approving user (None: denied).
Completer = Callable[[tuple[tuple[str, str], ...], User | None], Response]


def html_page(title: str, body: str, status: int = 200) -> HTMLResponse:
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>"
        f"{body}</body></html>"
    )
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})


def error_page(message: str, status: int = 400) -> HTMLResponse:
    return html_page("Authorization error", f"<p>{html.escape(message)}</p>", status)


def _hidden(txn: LoginTransaction) -> str:
    return (
        f"<input type='hidden' name='txn' value='{html.escape(txn.txn_id)}'>"
        f"<input type='hidden' name='csrf_token' value='{html.escape(txn.csrf_token)}'>"
    )


class LoginFlow:
    def __init__(self, urls: ReferenceUrls, store: OAuthStore, complete: Completer) -> None:
        self._urls = urls
        self._store = store
        self._complete = complete

    def begin(
        self, request: Request, params: Iterable[tuple[str, str]], login_hint: str | None
    ) -> Response:
        """Park a validated authorization request and show the login form."""
        now = time.time()
        for txn_id, old in list(self._store.login_transactions.items()):
            if old.expires_at <= now:
                del self._store.login_transactions[txn_id]
        browser_id = request.cookies.get(BROWSER_COOKIE) or secrets.token_urlsafe(24)
        txn = LoginTransaction(
            txn_id=secrets.token_urlsafe(24),
            browser_id=browser_id,
            csrf_token=secrets.token_urlsafe(24),
            params=tuple(params),
            expires_at=now + TRANSACTION_TTL,
        )
        self._store.login_transactions[txn.txn_id] = txn
        response = self._login_form(txn, login_hint or "", error=None)
        response.set_cookie(BROWSER_COOKIE, browser_id, httponly=True, samesite="lax", path="/")
        return response

    def _login_form(self, txn: LoginTransaction, username: str, error: str | None) -> Response:
        note = f"<p role='alert'>{html.escape(error)}</p>" if error else ""
        body = (
            f"{note}<form method='post' action='{html.escape(self._urls.as_path('login'))}'>"
            f"{_hidden(txn)}"
            "<label>Username <input name='username' autocomplete='username' "
            f"value='{html.escape(username)}'></label>"
            "<label>Password <input name='password' type='password' "
            "autocomplete='current-password'></label>"
            "<button type='submit'>Sign in</button></form>"
        )
        return html_page("Sign in", body, 401 if error else 200)

    def _consent_form(self, txn: LoginTransaction) -> Response:
        params = dict(reversed(txn.params))
        client = self._store.get_client(params.get("client_id"))
        client_label = (client.client_name if client else None) or params.get("client_id", "")
        rows = [
            ("Application", client_label),
            ("Redirects to", params.get("redirect_uri", "(registered default)")),
            ("Scopes", params.get("scope", "(default)")),
            ("Resource", ", ".join(v for k, v in txn.params if k == "resource") or "(default)"),
        ]
        listing = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in rows)
        body = (
            f"<p>Signed in as {html.escape(txn.username or '')}.</p><dl>{listing}</dl>"
            f"<form method='post' action='{html.escape(self._urls.as_path('consent'))}'>"
            f"{_hidden(txn)}"
            "<button type='submit' name='decision' value='approve'>Approve</button>"
            "<button type='submit' name='decision' value='deny'>Deny</button></form>"
        )
        return html_page("Authorize access", body)

    def _transaction(self, request: Request, form: dict[str, str]) -> LoginTransaction | Response:
        txn = self._store.login_transactions.get(form.get("txn", ""))
        if txn is None or txn.expires_at <= time.time():
            return error_page("This sign-in attempt has expired or is unknown; start again.")
        browser = request.cookies.get(BROWSER_COOKIE, "")
        token = form.get("csrf_token", "")
        if not (
            secrets.compare_digest(browser, txn.browser_id)
            and secrets.compare_digest(token, txn.csrf_token)
        ):
            return error_page("The form was not submitted from this browser session.", 403)
        return txn

    def submit_login(self, request: Request, form: dict[str, str]) -> Response:
        txn = self._transaction(request, form)
        if isinstance(txn, Response):
            return txn
        username, password = form.get("username", ""), form.get("password", "")
        expected = USERS.get(username)
        if expected is None or not secrets.compare_digest(expected, password):
            return self._login_form(txn, username, error="Wrong username or password.")
        txn.username = username
        return self._consent_form(txn)

    def submit_consent(self, request: Request, form: dict[str, str]) -> Response:
        txn = self._transaction(request, form)
        if isinstance(txn, Response):
            return txn
        if txn.username is None:
            return error_page("Sign in before approving access.")
        del self._store.login_transactions[txn.txn_id]
        approved = form.get("decision") == "approve"
        return self._complete(txn.params, User(txn.username) if approved else None)
