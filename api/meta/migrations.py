"""Versioned schema migrations of the metadata database. Append only: never edit a released migration.

Statements within one migration are separated by ";" at the end of a line.
"""

MIGRATIONS: list[str] = [
    # 1: clients, admin credentials, sessions, read-only API tokens, global settings.
    """
    CREATE TABLE clients (
        id TEXT PRIMARY KEY,
        hostname TEXT NOT NULL UNIQUE,
        token_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        agent_version TEXT,
        last_seen INTEGER,
        last_sample TEXT,
        dropped_total INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE admin (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        password_hash TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,
        csrf_token TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    );
    CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        token_hash TEXT NOT NULL,
        scope TEXT NOT NULL CHECK (scope IN ('read')),
        created_at INTEGER NOT NULL,
        last_used_at INTEGER,
        revoked_at INTEGER
    );
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )
    """,
]
