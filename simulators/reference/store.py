"""The authorization server's in-memory store, one per reference server.

Mutated only on the server's event-loop thread; tests may read it from theirs.
"""

from __future__ import annotations

from simulators.reference.models import (
    AccessTokenRecord,
    AuthorizationCode,
    Client,
    LoginTransaction,
    McpSession,
    RefreshTokenRecord,
    token_digest,
)


class OAuthStore:
    def __init__(self) -> None:
        self.clients: dict[str, Client] = {}
        self.sessions: dict[str, McpSession] = {}
        self.login_transactions: dict[str, LoginTransaction] = {}
        self.revoked_jtis: set[str] = set()
        self.codes_issued = 0
        self.access_tokens_issued = 0
        self.refresh_tokens_issued = 0
        self._codes: dict[str, AuthorizationCode] = {}
        self._access: dict[str, AccessTokenRecord] = {}
        self._refresh: dict[str, RefreshTokenRecord] = {}

    def add_client(self, client: Client) -> None:
        self.clients[client.client_id] = client

    def get_client(self, client_id: str | None) -> Client | None:
        return self.clients.get(client_id) if client_id else None

    def add_code(self, code: str, record: AuthorizationCode) -> None:
        self._codes[token_digest(code)] = record
        self.codes_issued += 1

    def find_code(self, code: str) -> AuthorizationCode | None:
        return self._codes.get(token_digest(code))

    def add_access_token(self, token: str, record: AccessTokenRecord) -> None:
        self._access[token_digest(token)] = record
        self.access_tokens_issued += 1

    def find_access_token(self, token: str) -> AccessTokenRecord | None:
        return self._access.get(token_digest(token))

    def add_refresh_token(self, token: str, record: RefreshTokenRecord) -> None:
        self._refresh[token_digest(token)] = record
        self.refresh_tokens_issued += 1

    def find_refresh_token(self, token: str) -> RefreshTokenRecord | None:
        return self._refresh.get(token_digest(token))

    def is_jti_revoked(self, jti: str) -> bool:
        return jti in self.revoked_jtis

    def revoke_access_token(self, record: AccessTokenRecord) -> None:
        record.revoked = True
        self.revoked_jtis.add(record.jti)

    def revoke_family(self, family_id: str) -> None:
        """Revoke all one authorization produced (on code reuse, refresh reuse, RT revocation)."""
        for access in self._access.values():
            if access.family_id == family_id:
                self.revoke_access_token(access)
        for refresh in self._refresh.values():
            if refresh.family_id == family_id:
                refresh.revoked = True
        for code in self._codes.values():
            if code.family_id == family_id:
                code.used = True
