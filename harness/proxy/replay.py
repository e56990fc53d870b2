"""Replay a client profile's quirks on real traffic (`--as-profile NAME`).

A correct client's requests are rewritten, on their way upstream, into what the profile's client
sends, so a vendor sees with their own client how the server copes with that client. The quirks
come from the same TOML profiles and knob values the simulator uses (harness.profiles); code
switches on knob values, never on the profile's name. Kinds replayed:

- identity: the profile's User-Agent (MCP and OAuth requests) and initialize `clientInfo`;
- bearer: `token_use.bearer = dropped-after-exchange` strips Authorization from MCP requests
  once a token response went by;
- resource: `resource.mode` (omit, origin, slash-on-host-only, if-prm) and `resource.at_token`
  at the authorization and token requests;
- scope: the scope the profile picks from its `scope.sources` (challenge, PRM, AS, fixed),
  `offline_access` and a leading space, at the authorization request;
- refresh: `refresh.mode = once-then-stale` re-presents the first refresh token after rotation.

What a quirk changed is noted in `flow.metadata["mcp_quirks"]` and kept in `applied`. The request
the recorder keeps is the client's own (captured before any rewrite), so client.* checks judge the
real client; the responses show how the server took the replayed requests. Secrets handled here
(the refresh token to re-present) stay in memory.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from mitmproxy import http
from mitmproxy.coretypes.multidict import MultiDictView

from harness.oauth.wellknown import OAUTH_WELL_KNOWN, OIDC_WELL_KNOWN, PRM_WELL_KNOWN, origin
from harness.oauth.wwwauth import find_bearer, parse_www_authenticate
from harness.profiles.catalogue import load_profiles, select
from harness.profiles.model import (
    BearerUse,
    OfflineAccess,
    Profile,
    RefreshMode,
    ResourceMode,
    ScopeSource,
)

QUIRKS_META = "mcp_quirks"
OFFLINE_ACCESS = "offline_access"
TOKEN_GRANTS = frozenset({"authorization_code", "refresh_token"})
MAX_APPLIED = 10_000  # a long run keeps rewriting but stops listing


@dataclass(slots=True, kw_only=True)
class Seen:
    """What went by so far that a quirk depends on (scopes offered, tokens exchanged)."""

    mcp_paths: set[str] = field(default_factory=set)
    exchanged: bool = False  # a token response went by
    prm_found: bool = False
    challenged: tuple[str, ...] | None = None
    prm_scopes: tuple[str, ...] = ()
    as_scopes: tuple[str, ...] = ()
    first_refresh: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Applied:
    """One rewrite: which knob did it, to which request, and how (no secret in it)."""

    knob: str
    request: str
    change: str


Quirk = Callable[[Profile, http.Request, Seen], list[tuple[str, str]]]


class QuirkReplay:
    """A mitmproxy addon that rewrites a correct client's traffic into what `profile_name` sends."""

    def __init__(self, profile_name: str, *, profile_dirs: Sequence[str | Path] = ()) -> None:
        self.profile_name = profile_name
        self.profile = select(load_profiles(profile_dirs), [profile_name])[0]
        self.seen = Seen()
        self.applied: list[Applied] = []

    def request(self, flow: http.HTTPFlow) -> None:
        if flow.response is not None or flow.error is not None:
            return  # answered by a fault: nothing goes upstream
        request = flow.request
        if _rpc(request) is not None:
            self.seen.mcp_paths.add(request.path.split("?")[0])
        changes = [
            Applied(knob=knob, request=f"{request.method} {request.path.split('?')[0]}", change=c)
            for quirk in QUIRKS
            for knob, c in quirk(self.profile, request, self.seen)
        ]
        if changes:
            flow.metadata[QUIRKS_META] = [f"{a.knob}: {a.change}" for a in changes]
            self.applied += changes[: MAX_APPLIED - len(self.applied)]

    def response(self, flow: http.HTTPFlow) -> None:
        learn(self.seen, flow.request, flow.response)

    def to_json(self) -> dict[str, object]:
        """What the replay did, for the report's proxy section: each rewrite once, counted."""
        counts = Counter((a.knob, a.change) for a in self.applied)
        first: dict[tuple[str, str], str] = {}
        for a in self.applied:
            first.setdefault((a.knob, a.change), a.request)
        return {
            "profile": self.profile.name,
            "quirks": [path for path, _ in self.profile.quirks()],
            "applied": [
                {"knob": knob, "change": change, "first": first[knob, change], "count": n}
                for (knob, change), n in counts.items()
            ],
        }


def learn(seen: Seen, request: http.Request, response: http.Response | None) -> None:
    """Note what a response offered: scopes, a PRM document, a token."""
    if response is None:
        return
    path = request.path.split("?")[0]
    if response.status_code in {401, 403}:
        bearer = find_bearer(parse_www_authenticate(response.headers.get_all("www-authenticate")))
        if bearer is not None and bearer.scopes:
            seen.challenged = bearer.scopes
    if response.status_code != 200:
        return
    document = _json(response.get_content(strict=False) or b"")
    if path.startswith(PRM_WELL_KNOWN) and document is not None:
        seen.prm_found = True
        seen.prm_scopes = _strings(document.get("scopes_supported"))
    elif (OAUTH_WELL_KNOWN in path or OIDC_WELL_KNOWN in path) and document is not None:
        seen.as_scopes = _strings(document.get("scopes_supported"))
    elif document is not None and isinstance(document.get("access_token"), str):
        seen.exchanged = True


def _identity(profile: Profile, request: http.Request, seen: Seen) -> list[tuple[str, str]]:
    identity = profile.identity
    mcp = _is_mcp(request, seen)
    agent = identity.user_agent.value if mcp else identity.oauth_user_agent.value
    agent = agent or identity.user_agent.value
    changes = []
    if agent and request.headers.get("user-agent") != agent:
        request.headers["user-agent"] = agent
        changes.append(("identity.user_agent", f"User-Agent: {agent}"))
    message = _rpc(request)
    if (
        message is not None
        and message.get("method") == "initialize"
        and identity.client_info_name.deviates
    ):
        params = message.setdefault("params", {})
        if isinstance(params, dict):
            info = params.setdefault("clientInfo", {})
            if isinstance(info, dict):
                info["name"] = identity.client_info_name.value
                request.content = json.dumps(message).encode()
                changes.append(("identity.client_info_name", f"clientInfo.name={info['name']}"))
    return changes


def _bearer(profile: Profile, request: http.Request, seen: Seen) -> list[tuple[str, str]]:
    dropped = profile.token_use.bearer.value is BearerUse.DROPPED_AFTER_EXCHANGE
    if not (dropped and seen.exchanged and _is_mcp(request, seen)):
        return []
    if "authorization" not in request.headers:
        return []
    del request.headers["authorization"]
    return [("token_use.bearer", "Authorization removed after the token exchange")]


def replayed_resource(mode: ResourceMode, value: str, *, prm_found: bool) -> str | None:
    """What a client of `mode` sends where a correct client sends `value` (None: omitted);
    the same choices as the simulator's `knobs.resource_choice`, made from the correct value."""
    if mode is ResourceMode.OMIT or (mode is ResourceMode.IF_PRM and not prm_found):
        return None
    if mode is ResourceMode.ORIGIN:
        return origin(value)
    if mode is ResourceMode.SLASH_ON_HOST_ONLY and urlsplit(value).path == "":
        return value + "/"
    return value


def _resource(profile: Profile, request: http.Request, seen: Seen) -> list[tuple[str, str]]:
    fields = _oauth_fields(request)
    if fields is None or "resource" not in fields:
        return []
    mode = profile.resource.mode.value
    at_token = request.method == "POST" and fields.get("grant_type") in TOKEN_GRANTS
    knob = "resource.mode"
    if at_token and not profile.resource.at_token.value:
        value = None
        knob = "resource.at_token"
    else:
        value = replayed_resource(mode, fields["resource"], prm_found=seen.prm_found)
    if value == fields["resource"]:
        return []
    if value is None:
        del fields["resource"]
        return [(knob, "resource omitted")]
    fields["resource"] = value
    return [(knob, f"resource={value}")]


def replayed_scope(profile: Profile, seen: Seen) -> str | None:
    """The scope the profile asks for, from its ordered sources (None: no scope parameter)."""
    knobs = profile.scope
    offered = {
        ScopeSource.CHALLENGE: seen.challenged or (),
        ScopeSource.PRM: seen.prm_scopes,
        ScopeSource.AS: seen.as_scopes,
        ScopeSource.FIXED: tuple(knobs.fixed.value.split()),
    }
    chosen = next((list(offered[s]) for s in knobs.sources.value if offered[s]), [])
    offline = knobs.offline_access.value
    wants = offline is OfflineAccess.ALWAYS or (
        offline is OfflineAccess.IF_ADVERTISED
        and OFFLINE_ACCESS in seen.as_scopes
        and "refresh_token" in profile.registration.grant_types.value
    )
    if wants and OFFLINE_ACCESS not in chosen:
        chosen.append(OFFLINE_ACCESS)
    if not chosen:
        return None
    return (" " if knobs.leading_space.value else "") + " ".join(chosen)


def _scope(profile: Profile, request: http.Request, seen: Seen) -> list[tuple[str, str]]:
    if "response_type" not in request.query:
        return []
    scope = replayed_scope(profile, seen)
    if scope == request.query.get("scope"):
        return []
    if scope is None:
        del request.query["scope"]
        return [("scope.sources", "scope omitted")]
    request.query["scope"] = scope
    return [("scope.sources", f"scope={scope}")]


def _refresh(profile: Profile, request: http.Request, seen: Seen) -> list[tuple[str, str]]:
    if profile.refresh.mode.value is not RefreshMode.ONCE_THEN_STALE:
        return []
    fields = _oauth_fields(request)
    if (
        fields is None
        or fields.get("grant_type") != "refresh_token"
        or "refresh_token" not in fields
    ):
        return []
    if seen.first_refresh is None:
        seen.first_refresh = fields["refresh_token"]
        return []
    if fields["refresh_token"] == seen.first_refresh:
        return []
    fields["refresh_token"] = seen.first_refresh
    return [("refresh.mode", "the first (rotated) refresh token presented again")]


QUIRKS: tuple[Quirk, ...] = (_identity, _bearer, _resource, _scope, _refresh)


def _oauth_fields(request: http.Request) -> MultiDictView[str, str] | None:
    """The authorization request's query, or a token request's form."""
    if "response_type" in request.query:
        return request.query
    if request.method == "POST" and "x-www-form-urlencoded" in request.headers.get(
        "content-type", ""
    ):
        return request.urlencoded_form
    return None


def _is_mcp(request: http.Request, seen: Seen) -> bool:
    return _rpc(request) is not None or request.path.split("?")[0] in seen.mcp_paths


def _rpc(request: http.Request) -> dict[str, object] | None:
    if request.method != "POST" or "json" not in request.headers.get("content-type", ""):
        return None
    message = _json(request.get_content(strict=False) or b"")
    return message if message is not None and message.get("jsonrpc") == "2.0" else None


def _json(body: bytes) -> dict[str, object] | None:
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return parsed if isinstance(parsed, dict) else None


def _strings(value: object) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()
