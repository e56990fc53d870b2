"""The target configuration (CONTRACT §2): TOML, every key optional, `${NAME}` from the environment.

Unknown keys are errors that list the valid ones, and every error names the file and the key, so a
typo never silently turns a check into a `skip`.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, cast
from urllib.parse import urlsplit

from harness.errors import ConfigError

DEFAULT_MAX_EXPIRY_WAIT_S = 15.0
DEFAULT_EXPIRY_LEEWAY_S = 5.0
DEFAULT_ENTROPY_SAMPLES = 24
MAX_ENTROPY_SAMPLES = 1000
DEFAULT_CANARY_WAIT_S = 2.0
MAX_CANARY_WAIT_S = 30.0
DEFAULT_MAX_REFRESH_GRACE_S = 60.0
# the refresh probe's grace polling must end well within the engine's 180 s per evidence record
MAX_REFRESH_GRACE_S = 120.0
LoginMode = Literal["auto", "form", "static"]
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True, slots=True, kw_only=True)
class UserCredentials:
    username: str | None = None
    password: str | None = None
    access_token: str | None = None  # static mode: this user's token (no OAuth flow)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginConfig:
    mode: LoginMode = "auto"
    username: str | None = None
    password: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    second_user: UserCredentials | None = None
    # static mode only: where `refresh_token` is redeemed (else the discovered token endpoint),
    # and the extra tokens the checks that need more than one credential use
    token_endpoint: str | None = None
    narrow_token: str | None = None  # a token carrying only [scopes].narrow
    other_resource_token: str | None = None  # a token issued for [target].other_resource


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientConfig:
    client_id: str
    client_secret: str | None = None
    redirect_uri: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolConfig:
    name: str
    requires: tuple[str, ...] = ()
    arguments: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenHints:
    max_expiry_wait_s: float = (
        15.0  # wait this long at most for a real token to expire (rs.expired)
    )
    expired_token: str | None = None  # or: a token known to be expired
    expiry_leeway_s: float = DEFAULT_EXPIRY_LEEWAY_S  # clock skew a server may allow past `exp`
    # how long a rotated-out refresh token may keep working before it is no grace window
    max_refresh_grace_s: float = DEFAULT_MAX_REFRESH_GRACE_S


@dataclass(frozen=True, slots=True, kw_only=True)
class UpstreamCanary:
    """`[upstream_canary]`: a loopback listener standing in for the target's upstream API.

    Point the MCP server's upstream URL at `http://host:port/`; the harness listens there while
    `tool` (which makes the server call its upstream) runs, and the client's token must never
    arrive (misuse.token-passthrough).
    """

    host: str = "127.0.0.1"
    port: int
    tool: ToolConfig
    wait_s: float = DEFAULT_CANARY_WAIT_S  # how long to wait for the upstream request

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionHints:
    entropy_samples: int = DEFAULT_ENTROPY_SAMPLES  # session ids collected for sess.entropy


@dataclass(frozen=True, slots=True, kw_only=True)
class MisuseConfig:
    injections: str | None = None  # an extra injection corpus (TOML), beside the bundled one


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    source: str = "<defaults>"
    target_url: str | None = None
    other_resource: str | None = None
    safe_tool: ToolConfig | None = None
    login: LoginConfig = LoginConfig()
    client: ClientConfig | None = None
    narrow_scopes: tuple[str, ...] = ()
    tools: tuple[ToolConfig, ...] = ()
    tokens: TokenHints = TokenHints()
    upstream_canary: UpstreamCanary | None = None
    sessions: SessionHints = SessionHints()
    misuse: MisuseConfig = MisuseConfig()

    def secrets(self) -> tuple[str, ...]:
        """Every secret in the configuration, for the run's vault."""
        login = self.login
        values = [login.password, login.access_token, login.refresh_token, login.narrow_token]
        values.append(login.other_resource_token)
        if login.second_user is not None:
            values += [login.second_user.password, login.second_user.access_token]
        if self.client is not None:
            values.append(self.client.client_secret)
        values.append(self.tokens.expired_token)
        return tuple(v for v in values if v)


_SECTIONS: dict[str, frozenset[str]] = {
    "target": frozenset({"url", "other_resource", "safe_tool"}),
    "login": frozenset(
        {
            "mode",
            "username",
            "password",
            "access_token",
            "refresh_token",
            "second_user",
            "token_endpoint",
            "narrow_token",
            "other_resource_token",
        }
    ),
    "client": frozenset({"client_id", "client_secret", "redirect_uri"}),
    "scopes": frozenset({"narrow"}),
    "tools": frozenset({"name", "requires", "arguments"}),
    "tokens": frozenset(
        {"max_expiry_wait_s", "expired_token", "expiry_leeway_s", "max_refresh_grace_s"}
    ),
    "upstream_canary": frozenset({"host", "port", "tool", "arguments", "wait_s"}),
    "sessions": frozenset({"entropy_samples"}),
    "misuse": frozenset({"injections"}),
}


class _Reader:
    """Typed access to one TOML table, with errors that name the file and the key."""

    def __init__(self, source: str, path: str, table: Mapping[str, object]) -> None:
        self.source, self.path, self.table = source, path, table

    def fail(self, key: str, reason: str) -> ConfigError:
        return ConfigError(f"{self.source}: [{self.path}].{key}: {reason}")

    def check_keys(self, valid: frozenset[str]) -> None:
        unknown = sorted(set(self.table) - valid)
        if unknown:
            raise self.fail(unknown[0], f"unknown key; valid keys are {', '.join(sorted(valid))}")

    def string(self, key: str) -> str | None:
        value = self.table.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, not {type(value).__name__}")
        return _interpolate(value, lambda reason: self.fail(key, reason))

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "must be a list of strings")
        return tuple(cast("list[str]", value))

    def number(self, key: str, default: float) -> float:
        value = self.table.get(key, default)
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise self.fail(key, "must be a non-negative number")
        return float(value)

    def integer(self, key: str, default: int | None, *, low: int, high: int) -> int | None:
        value = self.table.get(key, default)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise self.fail(key, f"must be an integer from {low} to {high}")
        return value

    def url(self, key: str) -> str | None:
        value = self.string(key)
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in {"http", "https"} or not parts.hostname:
                raise self.fail(key, f"must be an http(s) URL with a host, not {value!r}")
        return value

    def table_at(self, key: str) -> _Reader | None:
        value = self.table.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table")
        return _Reader(self.source, f"{self.path}.{key}", cast("dict[str, object]", value))


def _interpolate(value: str, fail: Callable[[str], ConfigError]) -> str:
    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise fail(f"environment variable {name} is not set")
        return os.environ[name]

    return _ENV_REF.sub(lookup, value)


def load_config(path: str | Path | None) -> Config:
    """Read and validate a configuration file; None gives the defaults."""
    if path is None:
        return Config()
    source = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"--config: {source} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"--config: cannot read {source}: {exc.strerror}") from exc
    return parse_config(data, source=source)


def parse_config(data: Mapping[str, object], *, source: str = "<config>") -> Config:
    _Reader(source, "", data).check_keys(frozenset(_SECTIONS))
    sections = {name: _section(source, data, name) for name in _SECTIONS if name != "tools"}
    target, login, client = sections["target"], sections["login"], sections["client"]
    tokens = sections["tokens"]
    return Config(
        source=source,
        target_url=target.url("url"),
        other_resource=target.url("other_resource"),
        safe_tool=_tool(target.table_at("safe_tool")),
        login=_login(login),
        client=_client(client),
        narrow_scopes=sections["scopes"].strings("narrow"),
        tools=_tools(source, data.get("tools", [])),
        tokens=TokenHints(
            max_expiry_wait_s=tokens.number("max_expiry_wait_s", DEFAULT_MAX_EXPIRY_WAIT_S),
            expired_token=tokens.string("expired_token"),
            expiry_leeway_s=tokens.number("expiry_leeway_s", DEFAULT_EXPIRY_LEEWAY_S),
            max_refresh_grace_s=_refresh_grace(tokens),
        ),
        upstream_canary=_upstream_canary(sections["upstream_canary"]),
        sessions=SessionHints(
            entropy_samples=sections["sessions"].integer(
                "entropy_samples", DEFAULT_ENTROPY_SAMPLES, low=2, high=MAX_ENTROPY_SAMPLES
            )
            or DEFAULT_ENTROPY_SAMPLES
        ),
        misuse=MisuseConfig(injections=sections["misuse"].string("injections")),
    )


def _refresh_grace(tokens: _Reader) -> float:
    value = tokens.number("max_refresh_grace_s", DEFAULT_MAX_REFRESH_GRACE_S)
    if value > MAX_REFRESH_GRACE_S:
        raise tokens.fail(
            "max_refresh_grace_s",
            f"must be at most {MAX_REFRESH_GRACE_S:g} (seconds; the refresh probe must finish "
            "within the time the harness gives each probe)",
        )
    return value


def _section(source: str, data: Mapping[str, object], name: str) -> _Reader:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: [{name}] must be a table")
    reader = _Reader(source, name, cast("dict[str, object]", value))
    reader.check_keys(_SECTIONS[name])
    return reader


def _login(reader: _Reader) -> LoginConfig:
    mode = reader.string("mode") or "auto"
    if mode not in {"auto", "form", "static"}:
        raise reader.fail("mode", f"must be auto, form or static, not {mode!r}")
    access_token = reader.string("access_token")
    if mode == "static" and not access_token:
        raise reader.fail("access_token", "is required when mode is static")
    second = reader.table_at("second_user")
    second_user = None
    if second is not None:
        second.check_keys(frozenset({"username", "password", "access_token"}))
        second_user = UserCredentials(
            username=second.string("username"),
            password=second.string("password"),
            access_token=_static_only(second, "access_token", mode),
        )
    return LoginConfig(
        mode=cast("LoginMode", mode),
        username=reader.string("username"),
        password=reader.string("password"),
        access_token=access_token,
        refresh_token=reader.string("refresh_token"),
        second_user=second_user,
        token_endpoint=_static_only(reader, "token_endpoint", mode, url=True),
        narrow_token=_static_only(reader, "narrow_token", mode),
        other_resource_token=_static_only(reader, "other_resource_token", mode),
    )


def _static_only(reader: _Reader, key: str, mode: str, *, url: bool = False) -> str | None:
    """A static-mode key: an error in the other modes, where the harness would ignore it."""
    value = reader.url(key) if url else reader.string(key)
    if value is not None and mode != "static":
        raise reader.fail(key, f'is used only when [login].mode is "static" (it is {mode!r})')
    return value


def _upstream_canary(reader: _Reader) -> UpstreamCanary | None:
    if not reader.table:
        return None
    port = reader.integer("port", None, low=1, high=65535)
    if port is None:
        raise reader.fail("port", "is required when [upstream_canary] is given")
    tool = reader.string("tool")
    if not tool:
        raise reader.fail(
            "tool", "is required: the tool that makes the server call its upstream API"
        )
    host = reader.string("host") or "127.0.0.1"
    if not host or any(c in host for c in "/ []"):
        raise reader.fail("host", f"must be a host name or IP address, not {host!r}")
    wait_s = reader.number("wait_s", DEFAULT_CANARY_WAIT_S)
    if wait_s > MAX_CANARY_WAIT_S:
        raise reader.fail("wait_s", f"must be at most {MAX_CANARY_WAIT_S:g} seconds")
    arguments = reader.table_at("arguments")
    return UpstreamCanary(
        host=host,
        port=port,
        tool=ToolConfig(name=tool, arguments=dict(arguments.table) if arguments else {}),
        wait_s=wait_s,
    )


def _client(reader: _Reader) -> ClientConfig | None:
    if not reader.table:
        return None
    client_id = reader.string("client_id")
    if not client_id:
        raise reader.fail("client_id", "is required when [client] is given")
    return ClientConfig(
        client_id=client_id,
        client_secret=reader.string("client_secret"),
        redirect_uri=reader.url("redirect_uri"),
    )


def _tool(reader: _Reader | None) -> ToolConfig | None:
    if reader is None:
        return None
    reader.check_keys(_SECTIONS["tools"])
    name = reader.string("name")
    if not name:
        raise reader.fail("name", "is required")
    arguments = reader.table_at("arguments")
    return ToolConfig(
        name=name,
        requires=reader.strings("requires"),
        arguments=dict(arguments.table) if arguments else {},
    )


def _tools(source: str, value: object) -> tuple[ToolConfig, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{source}: [[tools]] must be an array of tables")
    tools = []
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise ConfigError(f"{source}: [[tools]] entry {index + 1} must be a table")
        tools.append(_tool(_Reader(source, f"tools.{index}", cast("dict[str, object]", entry))))
    return tuple(t for t in tools if t is not None)
