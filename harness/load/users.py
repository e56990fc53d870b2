"""The locust users of the auth paths (FastHttpUser). Import them into your own locustfile:

    from harness.load.users import McpUser, InvalidTokenUser  # noqa: F401

Runs inside a locust process only (gevent). Request names are stable (`NAMES`); a response is
a failure on meaning, not only on status: an invalid token that is served is an
`invalid_accepted` outcome, a 5xx a `server_error`; a 429 is counted apart (`rate_limited`) and
its `Retry-After` is honoured before that request is sent again.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any, Final
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import gevent  # type: ignore[import-untyped]
from locust import task
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import RescheduleTask, StopUser

from harness.load.forge import GARBAGE, random_kid
from harness.load.names import (
    AUTHORIZE,
    CODE,
    MCP_INIT,
    MCP_TOOLS,
    NAMES,
    REFRESH,
    REFRESH_EXPIRY,
    REFRESH_HERD,
    REGISTER,
    initialize_request,
    invalid_name,
)
from harness.load.runtime import Chain, LoadRuntime, runtime_of, target_of
from harness.oauth.pkce import new_pkce

EXPIRY_MARGIN_S: Final = 2.0  # refresh this long before `expires_at` (JWT exp is whole seconds)
RETRY_AFTER_MAX_S: Final = 30.0  # a longer Retry-After ends that request for the run
TOKEN_ATTEMPTS: Final = 3  # a token request answered 429 is sent again after Retry-After


def _retry_after(value: str | None) -> float:
    """Seconds to wait (delta-seconds; a date or nonsense counts as 1 s)."""
    try:
        return max(float(value or 1), 0.0)
    except ValueError:
        return 1.0


class AuthUser(FastHttpUser):
    """What every user shares: absolute URLs from the material, classified calls, pacing."""

    abstract = True
    insecure = False
    last_status = -1  # of this user's last request (0: no answer)

    def __init__(self, environment: Any) -> None:
        # every URL is absolute (from the material); a worker gets no --host from its master
        self.host = environment.host or self.host or target_of(environment)
        super().__init__(environment)

    @property
    def rt(self) -> LoadRuntime:
        return runtime_of(self.environment)

    def wait_time(self) -> float:
        pause = self.rt.think()
        until = self.rt.until_herd()
        if until is not None and 0 <= until < pause and getattr(self, "herd_pending", False):
            return until  # the herd: every valid user refreshes at the same instant
        return pause

    def call(
        self,
        method: str,
        url: str,
        name: str,
        expect: frozenset[int],
        *,
        token: str | None = None,
        refused: frozenset[int] | None = None,
        headers: dict[str, str] | None = None,
        **body: Any,
    ) -> Any:
        """Send one request and classify its answer; returns the response. `refused`: the
        statuses that mean an invalid token was not served (anything else below 500 was)."""
        rt = self.rt
        if rt.stopped:
            raise StopUser()
        wait = rt.blocked_until.get(name, 0.0) - time.time()
        if wait > rt.material.plan.duration_s - rt.elapsed() or wait > RETRY_AFTER_MAX_S:
            gevent.sleep(1.0)  # not sent again in this run: Retry-After outlasts it
            raise RescheduleTask()
        if wait > 0:
            gevent.sleep(wait)  # Retry-After is a time, not an event
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        started = time.perf_counter()
        with self.client.request(
            method, url, name=name, headers=sent, catch_response=True, allow_redirects=False, **body
        ) as response:
            ms = (time.perf_counter() - started) * 1000
            status = int(response.status_code or 0)
            if status == 429:
                outcome = "rate_limited"
                rt.blocked_until[name] = time.time() + _retry_after(
                    response.headers.get("retry-after")
                )
                rt.tally.note("rate_limited:" + name)
                response.success()
            elif status in expect:
                outcome = "ok"
                response.success()
            elif status == 0:  # no answer: counted apart, never the target's failure
                outcome = "transport"
                response.failure(f"transport fault: {response.error}")
            else:
                outcome = "failure"
                response.failure(f"expected {sorted(expect)}, got {status}")
                rt.tally.note(
                    "failed:" + name,
                    rt.sample(name, method, url, token, status, response.text or ""),
                )
            served = refused is not None and 0 < status < 500 and status not in {*refused, 429}
            if status >= 500 or status == 0 or served:
                kind = "invalid_accepted" if served else "server_error"
                kind = "transport_error" if status == 0 else kind
                text = response.text if status else str(response.error)
                rt.tally.note(kind, rt.sample(name, method, url, token, status, text or ""))
            rt.record(name, ms, outcome)
        self.last_status = status
        return response

    def read_discovery(self) -> None:
        for name, url in self.rt.material.discovery_urls:
            self.call("GET", url, name, frozenset({200}), headers={"Accept": "application/json"})

    # --- MCP -----------------------------------------------------------------------------

    def mcp_headers(self, session: str | None = None) -> dict[str, str]:
        headers = {
            "Accept": "application/json, text/event-stream",
            "Content-Type": "application/json",
            "MCP-Protocol-Version": self.rt.material.protocol_version,
        }
        if session:
            headers["Mcp-Session-Id"] = session
        return headers

    def rpc(self, method: str, params: dict[str, object] | None = None) -> str:
        message: dict[str, object] = {"jsonrpc": "2.0", "id": 1, "method": method}
        if params is not None:
            message["params"] = params
        return json.dumps(message)

    def initialize_body(self) -> str:
        return json.dumps(initialize_request(self.rt.material.protocol_version))

    def initialize(self, token: str) -> str | None:
        response = self.call(
            "POST",
            self.rt.material.mcp_url,
            MCP_INIT,
            frozenset({200}),
            token=token,
            headers=self.mcp_headers(),
            data=self.initialize_body(),
        )
        session = response.headers.get("mcp-session-id") if response.status_code == 200 else None
        return str(session) if session else None

    # --- the token endpoint --------------------------------------------------------------

    def token_request(
        self, name: str, form: dict[str, str], attempt: int = 1
    ) -> dict[str, object] | None:
        material = self.rt.material
        fields = {**form, **dict(material.auth_form)}
        response = self.call(
            "POST",
            material.token_endpoint,
            name,
            frozenset({200}),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
                **dict(material.auth_headers),
            },
            data=urlencode(fields),
        )
        if response.status_code == 429 and attempt < TOKEN_ATTEMPTS:
            return self.token_request(name, form, attempt + 1)  # call() waits Retry-After
        if response.status_code != 200:
            return None
        try:
            document = json.loads(response.text or "")
        except ValueError:
            return None
        if not isinstance(document, dict) or not isinstance(document.get("access_token"), str):
            return None
        self.rt.vault.add_fields(document)
        return document

    def refresh(self, chain: Chain, name: str) -> bool:
        """Rotate `chain` in place; False when the server refused (the user is logged out)."""
        if chain.refresh_token is None:
            return False
        form = {"grant_type": "refresh_token", "refresh_token": chain.refresh_token}
        form["resource"] = self.rt.material.resource
        document = self.token_request(name, form)
        if document is None:
            return False
        chain.access_token = str(document["access_token"])
        new_refresh = document.get("refresh_token")
        if isinstance(new_refresh, str):
            chain.refresh_token = new_refresh
        expires_in = document.get("expires_in")
        if isinstance(expires_in, int) and not isinstance(expires_in, bool):
            chain.expires_at = time.time() + expires_in
        return True


class ChainUser(AuthUser):
    """A user holding one refresh-token chain of its own; refreshes at the herd instant and
    before its access token expires."""

    abstract = True
    chain: Chain | None = None
    herd_pending = False

    def on_start(self) -> None:
        self.chain = self.rt.take_chain()
        if self.chain is None:
            self.rt.tally.note("no_token_set")
            raise StopUser()
        until = self.rt.until_herd()
        self.herd_pending = until is not None and until > 0

    def on_stop(self) -> None:
        self.rt.give_chain(self.chain)
        self.chain = None

    def fresh_chain(self) -> Chain:
        chain = self.chain
        if chain is None:
            raise StopUser()
        until = self.rt.until_herd()
        if self.herd_pending and until is not None and until <= 0:
            self.herd_pending = False
            self._rotate(chain, REFRESH_HERD, "herd_logged_out")
        elif chain.expires_at is not None and time.time() > chain.expires_at - EXPIRY_MARGIN_S:
            self._rotate(chain, REFRESH_EXPIRY, "expiry_logged_out")
        return chain

    def _rotate(self, chain: Chain, name: str, lost: str) -> None:
        if not self.refresh(chain, name):
            # a refresh that got no answer logs the user out on this side only
            self.rt.tally.note("transport_lost:" + name if self.last_status == 0 else lost)
            self.chain = None  # a refused chain is dead: never back into the pool
            raise StopUser()
        self.rt.tally.note("refreshed:" + name)


class McpUser(ChainUser):
    """A valid user: initialize once, then tools/list with its bearer token."""

    weight = 6
    session: str | None = None

    def on_start(self) -> None:
        super().on_start()
        self.session = self.initialize(self.fresh_chain().access_token)

    @task
    def tools_list(self) -> None:
        chain = self.fresh_chain()
        self.call(
            "POST",
            self.rt.material.mcp_url,
            MCP_TOOLS,
            frozenset({200}),
            token=chain.access_token,
            headers=self.mcp_headers(self.session),
            data=self.rpc("tools/list"),
        )


class RefreshUser(ChainUser):
    """Rotates its chain on every task and proves the new access token works."""

    weight = 1

    @task
    def rotate(self) -> None:
        chain = self.fresh_chain()
        self._rotate(chain, REFRESH, "refresh_logged_out")
        self.initialize(chain.access_token)


class InvalidTokenUser(AuthUser):
    """The flood: garbage, random-`kid`, expired and wrong-audience tokens in an initialize
    request; each must be refused (401; 400 also for a malformed one)."""

    weight = 3
    turn = 0

    def _token(self) -> tuple[str, str] | None:
        material = self.rt.material
        options: list[tuple[str, str]] = [("garbage", GARBAGE[self.turn % len(GARBAGE)])]
        forged = random_kid(material.tokens[0].access_token) if material.tokens else None
        if forged:
            options.append(("random-kid", forged))
        now = time.time()
        expired = [t for t in material.expiring if t.expires_at and now > t.expires_at + 1]
        if expired:
            options.append(("expired", expired[self.turn % len(expired)].access_token))
        if material.wrong_audience:
            options.append(("wrong-audience", material.wrong_audience))
        self.turn += 1
        return options[self.turn % len(options)]

    @task
    def invalid(self) -> None:
        found = self._token()
        if found is None:
            return
        kind, token = found
        # initialize needs no session: a served invalid token gets 200, not a session error
        malformed = kind == "garbage"  # RFC 6750 §3.1 lets a malformed request get 400
        self.call(
            "POST",
            self.rt.material.mcp_url,
            invalid_name(kind),
            frozenset({400, 401}) if malformed else frozenset({401}),
            token=token,
            refused=frozenset({400, 401, 403}) if malformed else frozenset({401, 403}),
            headers=self.mcp_headers(),
            data=self.initialize_body(),
        )


class LoginUser(AuthUser):
    """Authorization-code logins through an auto-approving authorization endpoint."""

    weight = 1

    def on_start(self) -> None:
        if self.rt.material.login_mode != "auto":
            self.rt.tally.note("login_not_auto")
            raise StopUser()

    @task
    def login(self) -> None:
        material = self.rt.material
        pkce = new_pkce(vault=self.rt.vault)
        state = secrets.token_urlsafe(12)
        query = {
            "response_type": "code",
            "client_id": material.client_id,
            "redirect_uri": material.redirect_uri,
            "code_challenge": pkce.challenge,
            "code_challenge_method": "S256",
            "state": state,
            "resource": material.resource,
        }
        if material.scope:
            query["scope"] = material.scope
        url = f"{material.authorization_endpoint}?{urlencode(query)}"
        for _ in range(5):  # an auto-approving server redirects a few times at most
            response = self.call("GET", url, AUTHORIZE, frozenset({302, 303}))
            location = response.headers.get("location")
            if response.status_code not in {302, 303} or not location:
                return
            url = urljoin(url, location)
            if url.startswith(material.redirect_uri):
                break
        else:
            return
        code = parse_qs(urlsplit(url).query).get("code", [None])[0]
        if code is None:
            self.rt.tally.note("login_no_code")
            return
        self.rt.vault.add(code)
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": material.redirect_uri,
            "code_verifier": pkce.verifier,
            "resource": material.resource,
        }
        self.token_request(CODE, form)


class RegisterUser(AuthUser):
    """Dynamic client registration, up to the plan's cap; then discovery reads."""

    weight = 1

    @task
    def register(self) -> None:
        material, rt = self.rt.material, self.rt
        allowed = rt.registrations < material.plan.max_registrations
        if material.registration_endpoint and material.registration_body is not None and allowed:
            rt.registrations += 1
            response = self.call(
                "POST",
                material.registration_endpoint,
                REGISTER,
                frozenset({200, 201}),
                headers={"Content-Type": "application/json", "Accept": "application/json"},
                data=json.dumps(material.registration_body),
            )
            if response.status_code in {200, 201}:
                rt.vault.add_fields(_json_object(response.text))
                rt.tally.note("registered")
            return
        self.read_discovery()


class DiscoveryUser(AuthUser):
    """Protected-resource and authorization-server metadata reads."""

    weight = 1

    @task
    def read(self) -> None:
        self.read_discovery()


def _json_object(text: str | None) -> dict[str, object]:
    try:
        value = json.loads(text or "")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


__all__ = ["NAMES", "AuthUser", "ChainUser"]

USER_CLASSES: Final = {
    "mcp": McpUser,
    "refresh": RefreshUser,
    "invalid": InvalidTokenUser,
    "login": LoginUser,
    "register": RegisterUser,
    "discovery": DiscoveryUser,
}
