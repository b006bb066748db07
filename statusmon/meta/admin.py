"""The admin password (scrypt) and server-side login sessions (random ids, stored hashed, revocable)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from statusmon.meta import tokens
from statusmon.meta.db import MetaDB

# scrypt with n=2**15, r=8, p=1 needs 32 MiB and ~50-100 ms here: slow for guessing, fine for a login.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
MIN_PASSWORD_LENGTH = 8


class WeakPassword(ValueError):
    pass


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                            maxmem=64 << 20, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        assert scheme == "scrypt"
        computed = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r),
                                  p=int(p), maxmem=64 << 20, dklen=32)
    except (ValueError, AssertionError):
        return False
    return hmac.compare_digest(computed, base64.b64decode(digest))


@dataclass(frozen=True)
class Session:
    csrf_token: str
    expires_at: int


class AdminAuth:
    def __init__(self, db: MetaDB, session_seconds: int):
        self.db = db
        self.session_seconds = session_seconds

    def has_password(self) -> bool:
        return self.db.query_one("SELECT 1 FROM admin WHERE id = 1") is not None

    def set_password(self, password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise WeakPassword(f"the admin password needs at least {MIN_PASSWORD_LENGTH} characters")
        with self.db.tx() as conn:
            conn.execute("INSERT INTO admin (id, password_hash, updated_at) VALUES (1, ?, ?) "
                         "ON CONFLICT(id) DO UPDATE SET password_hash = excluded.password_hash, "
                         "updated_at = excluded.updated_at", (hash_password(password), int(time.time())))
            # A new password ends every session.
            conn.execute("DELETE FROM sessions")

    def check_password(self, password: str) -> bool:
        row = self.db.query_one("SELECT password_hash FROM admin WHERE id = 1")
        if row is None:
            verify_password(password, hash_password("timing-equaliser"))
            return False
        return verify_password(password, row["password_hash"])

    def create_session(self) -> tuple[str, Session]:
        session_id, csrf = tokens.new_secret(), secrets.token_urlsafe(24)
        now = int(time.time())
        expires = now + self.session_seconds
        with self.db.tx() as conn:
            conn.execute("DELETE FROM sessions WHERE expires_at < ?", (now,))
            conn.execute("INSERT INTO sessions (id_hash, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?)",
                         (tokens.hash_secret(session_id), csrf, now, expires))
        return session_id, Session(csrf, expires)

    def get_session(self, session_id: str) -> Session | None:
        if not session_id or len(session_id) > 200:
            return None
        row = self.db.query_one("SELECT csrf_token, expires_at FROM sessions WHERE id_hash = ?",
                                (tokens.hash_secret(session_id),))
        if row is None or row["expires_at"] < time.time():
            return None
        return Session(row["csrf_token"], row["expires_at"])

    def end_session(self, session_id: str) -> None:
        self.db.execute("DELETE FROM sessions WHERE id_hash = ?", (tokens.hash_secret(session_id),))
