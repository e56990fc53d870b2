"""Login drivers: how the authorization flow gets past a page that is not a redirect.

A driver is pure: given the page (a 2xx response), it returns the form submission that moves
on, or a sentence saying why it cannot. The flow in `harness.oauth.authorize` sends it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, Protocol
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from harness.http import Response
from harness.oauth.forms import FormMethod, HtmlForm, SubmitButton, parse_forms

SubmissionKind = Literal["login", "consent"]
_USERNAME_NAME = re.compile(r"user|e-?mail|login|identifier|account|name", re.IGNORECASE)
_USERNAME_TYPES = frozenset({"text", "email", "tel"})
_APPROVE = re.compile(r"approve|allow|accept|authori[sz]e|consent|grant|agree|confirm|yes", re.I)
_DENY = re.compile(r"deny|cancel|reject|decline|refuse|\bno\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class FormSubmission:
    """A form as the browser would submit it: GET fields go in the query (`url` has them)."""

    method: FormMethod
    url: str
    fields: tuple[tuple[str, str], ...] = field(repr=False)
    kind: SubmissionKind
    secrets: tuple[str, ...] = field(default=(), repr=False)  # to register before sending


class LoginDriver(Protocol):
    @property
    def max_hops(self) -> int: ...

    def next_submission(self, page: Response, *, logins_sent: int) -> FormSubmission | str:
        """The submission that gets past `page`, or why there is none."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class AutoLogin:
    """Only follows redirects: for servers that log the test user in without a page."""

    max_hops: int = 10

    def next_submission(self, page: Response, *, logins_sent: int) -> FormSubmission | str:
        return (
            f"the authorization endpoint answered {page.summary()} instead of redirecting; "
            "the auto login mode cannot get past a page (use the form login mode)"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class FormLogin:
    """Fills and submits HTML login forms, then consent forms (approving)."""

    username: str
    password: str = field(repr=False)
    max_hops: int = 20

    def next_submission(self, page: Response, *, logins_sent: int) -> FormSubmission | str:
        if "html" not in page.content_type:
            return f"expected an HTML login or consent page; got {page.summary()}"
        forms = parse_forms(page.text)
        if not forms:
            return f"the page at {urlsplit(page.url).path or '/'} ({page.summary()}) has no form"
        login = next((f for f in forms if f.has_password), None)
        if login is not None:
            if logins_sent:
                return (
                    "the login form came back after the credentials were submitted "
                    "(wrong username or password?)"
                )
            return self._login(page.url, login)
        return _consent(page.url, forms)

    def _login(self, page_url: str, form: HtmlForm) -> FormSubmission:
        fields: list[tuple[str, str]] = []
        for f in form.fields:
            if f.type == "password":
                fields.append((f.name, self.password))
            elif f.type in _USERNAME_TYPES and _USERNAME_NAME.search(f.name):
                fields.append((f.name, self.username))
            else:
                fields.append((f.name, f.value))
        button = _choose_button(form.buttons)
        return _submission(page_url, form, fields, button, "login", (self.password,))


def _consent(page_url: str, forms: tuple[HtmlForm, ...]) -> FormSubmission:
    def approving(form: HtmlForm) -> bool:
        return any(_APPROVE.search(f"{b.label} {b.value} {b.name or ''}") for b in form.buttons)

    form = next((f for f in forms if approving(f)), forms[0])
    fields = [(f.name, f.value) for f in form.fields]
    return _submission(page_url, form, fields, _choose_button(form.buttons), "consent", ())


def _choose_button(buttons: tuple[SubmitButton, ...]) -> SubmitButton | None:
    def text(b: SubmitButton) -> str:
        return f"{b.label} {b.value} {b.name or ''}"

    return (
        next((b for b in buttons if _APPROVE.search(text(b))), None)
        or next((b for b in buttons if not _DENY.search(text(b))), None)
        or (buttons[0] if buttons else None)
    )


def _submission(
    page_url: str,
    form: HtmlForm,
    fields: list[tuple[str, str]],
    button: SubmitButton | None,
    kind: SubmissionKind,
    secrets: tuple[str, ...],
) -> FormSubmission:
    if button is not None and button.name:
        fields.append((button.name, button.value))
    action = urljoin(page_url, form.action or page_url)
    if form.method == "GET":
        action = urlunsplit(urlsplit(action)._replace(query=urlencode(fields), fragment=""))
    else:
        action = urlunsplit(urlsplit(action)._replace(fragment=""))
    return FormSubmission(
        method=form.method, url=action, fields=tuple(fields), kind=kind, secrets=secrets
    )
