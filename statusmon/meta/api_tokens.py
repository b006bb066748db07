"""Read-only API tokens (for Grafana and scripts): shown once, stored hashed, revocable."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from statusmon.meta import tokens
from statusmon.meta.db import MetaDB

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")
TOKEN_PREFIX = "smr_"  # noqa: S105 - a prefix, not a secret; tells a read-only API token apart from an agent token at a glance


# The statements and columns, named once (module level: SQL and sqlite3.Row keys ignore case, so mutating their
# text inside a function tests nothing).
_NAME_TAKEN = "SELECT 1 FROM api_tokens WHERE name = ?"
_INSERT = "INSERT INTO api_tokens (id, name, token_hash, scope, created_at) VALUES (?, ?, ?, ?, ?)"
_BY_ID = "SELECT * FROM api_tokens WHERE id = ?"
_ALL = "SELECT * FROM api_tokens ORDER BY created_at"
_REVOKE = "UPDATE api_tokens SET revoked_at = ? WHERE (id = ? OR name = ?) AND revoked_at IS NULL"
_USED = "UPDATE api_tokens SET last_used_at = ? WHERE id = ?"
_HASH = "token_hash"
_COLUMNS = ("id", "name", "scope", "created_at", "last_used_at", "revoked_at")

@dataclass(frozen=True)
class ApiToken:
    id: str
    name: str
    scope: str
    created_at: int
    last_used_at: int | None
    revoked_at: int | None


class ApiTokens:
    def __init__(self, db: MetaDB):
        self.db = db

    def create(self, name: str, scope: str = "read") -> tuple[ApiToken, str]:
        if not NAME_RE.match(name):
            raise ValueError("a token name is 1-64 letters, digits, spaces, '.', '_' or '-'")
        token_id, secret = TOKEN_PREFIX + tokens.new_id(), tokens.new_secret()
        with self.db.tx() as conn:
            if conn.execute(_NAME_TAKEN, (name,)).fetchone():
                raise ValueError(f"a token named {name!r} exists already")
            conn.execute(_INSERT,
                         (token_id, name, tokens.hash_secret(secret), scope, int(time.time())))
        token = self.get(token_id)
        assert token is not None
        return token, tokens.make_token(token_id, secret)

    def get(self, token_id: str) -> ApiToken | None:
        row = self.db.query_one(_BY_ID, (token_id,))
        return _token(row) if row else None

    def list(self) -> list[ApiToken]:
        return [_token(r) for r in self.db.query(_ALL)]

    def revoke(self, id_or_name: str) -> bool:
        return self.db.execute(_REVOKE,
                               (int(time.time()), id_or_name, id_or_name)) > 0

    def authenticate(self, token: str) -> ApiToken | None:
        parts = tokens.split_token(token)
        if parts is None or not parts[0].startswith(TOKEN_PREFIX):
            return None
        row = self.db.query_one(_BY_ID, (parts[0],))
        if row is None:
            return None
        found = _token(row)
        if found.revoked_at is not None or not tokens.secret_matches(parts[1], row[_HASH]):
            return None
        now = int(time.time())
        if not found.last_used_at or now - found.last_used_at >= 60:
            self.db.execute(_USED, (now, parts[0]))
        return found


def _token(row: Any) -> ApiToken:
    return ApiToken(*(row[c] for c in _COLUMNS))  # a sqlite3.Row or a PostgreSQL row, by column name
