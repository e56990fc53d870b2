"""A real Python `mcp` SDK client (OAuthClientProvider) that logs in without a person.

The redirect handler follows the authorization request itself over HTTP (no browser): it sends
the authorization URL, follows redirects until one points at the redirect URI, and hands the code
and state to the callback handler, as a user's browser would after consent.

    python interop/py_sdk_client.py MCP_URL [--calls N] [--tool NAME]

Prints one JSON object per line on stdout: {"event": "tools", ...}, {"event": "call", ...},
{"event": "error", "message": ...} and finally {"event": "done"}. Secrets are never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx2
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)

REDIRECT_URI = "http://127.0.0.1:33418/callback"
MAX_HOPS = 8


class MemoryStorage(TokenStorage):
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


class HeadlessBrowser:
    """Follows the authorization redirects to the redirect URI and keeps what arrived there."""

    def __init__(self) -> None:
        self.result: AuthorizationCodeResult | None = None

    async def redirect(self, authorization_url: str) -> None:
        url = authorization_url
        async with httpx2.AsyncClient(follow_redirects=False, timeout=10) as http:
            for _ in range(MAX_HOPS):
                if url.startswith(REDIRECT_URI):
                    query = parse_qs(urlsplit(url).query)
                    if "code" not in query:
                        raise RuntimeError(f"authorization refused: {query.get('error')}")
                    self.result = AuthorizationCodeResult(
                        code=query["code"][0],
                        state=query.get("state", [None])[0],
                        iss=query.get("iss", [None])[0],
                    )
                    return
                response = await http.get(url)
                location = response.headers.get("location")
                if response.status_code not in {301, 302, 303, 307, 308} or not location:
                    raise RuntimeError(f"authorization stopped at HTTP {response.status_code}")
                url = urljoin(url, location)
        raise RuntimeError("too many authorization redirects")

    async def callback(self) -> AuthorizationCodeResult:
        if self.result is None:
            raise RuntimeError("no authorization response arrived")
        result, self.result = self.result, None
        return result


def emit(event: str, **fields: object) -> None:
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


async def main(url: str, calls: int, tool: str) -> None:
    browser = HeadlessBrowser()
    provider = OAuthClientProvider(
        server_url=url,
        client_metadata=OAuthClientMetadata(
            redirect_uris=[REDIRECT_URI],  # type: ignore[list-item]
            client_name="py-sdk-client",
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
        ),
        storage=MemoryStorage(),
        redirect_handler=browser.redirect,
        callback_handler=browser.callback,
    )
    async with (
        httpx2.AsyncClient(auth=provider, timeout=20) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        listed = await session.list_tools()
        emit("tools", names=[t.name for t in listed.tools])
        for index in range(calls):
            try:
                result = await session.call_tool(tool, {})
            except Exception as exc:  # the call's failure is what the test observes
                emit("call", index=index, ok=False, error=type(exc).__name__)
                continue
            text = " ".join(getattr(c, "text", "") for c in result.content)
            emit("call", index=index, ok=not getattr(result, "is_error", False), text=text[:400])


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--calls", type=int, default=2)
    parser.add_argument("--tool", default="whoami")
    args = parser.parse_args()
    try:
        asyncio.run(asyncio.wait_for(main(args.url, args.calls, args.tool), 60))
    except BaseException as exc:  # reported, not raised: the proxy's verdicts are the test
        while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
            exc = exc.exceptions[0]
        emit("error", message=f"{type(exc).__name__}: {str(exc)[:200]}")
    emit("done")
