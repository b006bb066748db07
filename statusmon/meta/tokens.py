"""Secrets shown once and stored only as hashes: agent tokens, read-only API tokens, session ids.

A token reads ``<id>.<secret>``: the id finds the row, the secret is checked against the stored SHA-256 in
constant time. The secrets are 256 random bits, so a fast hash is enough (no KDF needed, unlike passwords).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_id(nbytes: int = 6) -> str:
    return secrets.token_hex(nbytes)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def make_token(token_id: str, secret: str) -> str:
    return f"{token_id}.{secret}"


def split_token(token: str) -> tuple[str, str] | None:
    """(id, secret) from ``<id>.<secret>``, or None for anything else."""
    token_id, sep, secret = token.partition(".")
    if not sep or not token_id or not secret or len(token) > 200:
        return None
    return token_id, secret
