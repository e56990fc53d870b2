"""HTML forms, as a login driver needs them: fields with their values, and submit buttons.

Parsed with the standard library's `html.parser`; no JavaScript, no browser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Literal

FormMethod = Literal["GET", "POST"]
_SUBMIT_INPUTS = frozenset({"submit", "image"})
_UNSENT_INPUTS = frozenset({"button", "reset", "file"})


@dataclass(frozen=True, slots=True, kw_only=True)
class FormField:
    name: str
    type: str  # lowercased `type` ("text" when absent; "select" / "textarea" for those)
    value: str = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitButton:
    name: str | None
    value: str
    label: str  # visible text or value, for choosing between "Allow" and "Deny"


@dataclass(frozen=True, slots=True, kw_only=True)
class HtmlForm:
    action: str | None
    method: FormMethod
    fields: tuple[FormField, ...]
    buttons: tuple[SubmitButton, ...]

    @property
    def has_password(self) -> bool:
        return any(f.type == "password" for f in self.fields)


def parse_forms(html: str) -> tuple[HtmlForm, ...]:
    """Every `<form>` in the document, in order (tolerant of unclosed tags)."""
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    parser.finish_form()
    return tuple(parser.forms)


class _OpenForm:
    def __init__(self, attrs: dict[str, str]) -> None:
        self.action = attrs.get("action") or None
        self.method: FormMethod = "POST" if attrs.get("method", "").lower() == "post" else "GET"
        self.fields: list[FormField] = []
        self.buttons: list[SubmitButton] = []


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[HtmlForm] = []
        self._form: _OpenForm | None = None
        self._text_for: tuple[str, dict[str, str]] | None = None  # textarea / button / option
        self._text: list[str] = []
        self._select: dict[str, str] | None = None
        self._options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k.lower(): v or "" for k, v in attrs_list}
        if tag == "form":
            self.finish_form()
            self._form = _OpenForm(attrs)
        elif self._form is None:
            return
        elif tag == "input":
            self._input(self._form, attrs)
        elif tag in {"textarea", "button", "option"}:
            self._close_option()  # `</option>` is optional
            self._text_for, self._text = (tag, attrs), []
        elif tag == "select":
            self._select, self._options = attrs, []

    def handle_data(self, data: str) -> None:
        if self._text_for is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.finish_form()
        elif self._form is not None and self._text_for is not None and tag == self._text_for[0]:
            self._close_text(self._form, tag, self._text_for[1], "".join(self._text).strip())
            self._text_for = None
        elif tag == "select" and self._form is not None and self._select is not None:
            self._close_option()
            chosen = next((v for v, sel in self._options if sel), None)
            if chosen is None and self._options:
                chosen = self._options[0][0]
            if self._select.get("name") and chosen is not None:
                self._form.fields.append(
                    FormField(name=self._select["name"], type="select", value=chosen)
                )
            self._select = None

    def finish_form(self) -> None:
        if self._form is not None:
            form = self._form
            self.forms.append(
                HtmlForm(
                    action=form.action,
                    method=form.method,
                    fields=tuple(form.fields),
                    buttons=tuple(form.buttons),
                )
            )
        self._form = None

    def _close_option(self) -> None:
        if self._form is not None and self._text_for is not None and self._text_for[0] == "option":
            self._close_text(self._form, "option", self._text_for[1], "".join(self._text).strip())
            self._text_for = None

    def _input(self, form: _OpenForm, attrs: dict[str, str]) -> None:
        kind = attrs.get("type", "text").lower() or "text"
        name, value = attrs.get("name", ""), attrs.get("value", "")
        if kind in _SUBMIT_INPUTS:
            form.buttons.append(
                SubmitButton(name=name or None, value=value, label=value or attrs.get("alt", ""))
            )
        elif kind in {"checkbox", "radio"}:
            if name and "checked" in attrs:
                form.fields.append(FormField(name=name, type=kind, value=value or "on"))
        elif name and kind not in _UNSENT_INPUTS:
            form.fields.append(FormField(name=name, type=kind, value=value))

    def _close_text(self, form: _OpenForm, tag: str, attrs: dict[str, str], text: str) -> None:
        if tag == "textarea" and attrs.get("name"):
            form.fields.append(FormField(name=attrs["name"], type="textarea", value=text))
        elif tag == "button" and attrs.get("type", "submit").lower() == "submit":
            name = attrs.get("name") or None
            form.buttons.append(SubmitButton(name=name, value=attrs.get("value", ""), label=text))
        elif tag == "option":
            self._options.append((attrs.get("value", text), "selected" in attrs))
