"""Client authentication at the token endpoint, per `token_endpoint_auth_method`."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from urllib.parse import quote_plus

from harness.oauth.errors import FlowError
from harness.oauth.registration import AuthMethod, ClientCredentials


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientAuth:
    """What a request carries to authenticate the client: headers and form fields."""

    headers: tuple[tuple[str, str], ...] = ()
    form: tuple[tuple[str, str], ...] = ()


def basic_authorization(client_id: str, client_secret: str) -> str:
    """RFC 6749 §2.3.1: each part form-urlencoded, then `id:secret` in HTTP Basic."""
    pair = f"{quote_plus(client_id)}:{quote_plus(client_secret)}"
    return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


def client_auth(client: ClientCredentials) -> ClientAuth:
    """`none`: client_id in the body; `client_secret_basic`: Basic header;
    `client_secret_post`: client_id and client_secret in the body."""
    method = client.token_endpoint_auth_method
    if method == AuthMethod.NONE:
        return ClientAuth(form=(("client_id", client.client_id),))
    if method not in {AuthMethod.CLIENT_SECRET_BASIC, AuthMethod.CLIENT_SECRET_POST}:
        raise FlowError(
            "client-authentication",
            f"token_endpoint_auth_method {method!r} is not supported "
            "(use none, client_secret_basic or client_secret_post)",
        )
    if not client.client_secret:
        raise FlowError("client-authentication", f"{method} needs a client secret; none is known")
    if method == "client_secret_basic":
        return ClientAuth(
            headers=(
                ("authorization", basic_authorization(client.client_id, client.client_secret)),
            )
        )
    return ClientAuth(
        form=(("client_id", client.client_id), ("client_secret", client.client_secret))
    )
