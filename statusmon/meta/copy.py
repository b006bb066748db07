"""Copy the metadata from the SQLite file into PostgreSQL (``statusmon meta copy-to-postgresql``): moving an
installation to several replicas keeps its clients (their agent tokens go on working), tokens, admin password,
sessions, settings, rules, alert state and history, silences and update policy.

Every table, in the order the migrations created them (so a row's foreign keys exist before it), in one
PostgreSQL transaction: it all lands or nothing does. The target must hold no metadata yet (no clients, no
rules, no admin password, no settings): copying over live data would mix two installations. Afterwards each
identity column's sequence starts after the largest id copied, so the next rule, incident or silence does not
collide with a copied one.
"""

from __future__ import annotations

from statusmon.meta.db import MetaDB

# Tables whose rows mean "this database is in use": the copy refuses a target holding any.
IN_USE = ("clients", "admin", "settings", "alert_rules", "api_tokens")


class TargetNotEmpty(Exception):
    pass


def copy_meta(source: MetaDB, target: MetaDB) -> dict[str, int]:
    """Copy every row of ``source`` (SQLite) into ``target`` (PostgreSQL, migrated to the same version).
    Returns the rows copied per table."""
    if source.version != target.version:
        raise ValueError(f"the source is at migration {source.version}, the target at {target.version}: "
                         "start the current statusmon once on each")
    tables = [r["name"] for r in source.query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid")]
    busy = [t for t in IN_USE if target.query_one(f"SELECT 1 FROM {t} LIMIT 1") is not None]  # noqa: S608
    if busy:
        raise TargetNotEmpty(f"the target already holds metadata ({', '.join(busy)}): copy into an empty database")
    copied: dict[str, int] = {}
    with target.tx() as conn:
        # The worker's heartbeat row and friends are copied too; the target's own (written by the processes
        # that migrated it) would collide, so the target's rows of every copied table go first.
        for table in reversed(tables):
            conn.execute(f"DELETE FROM {table}")  # noqa: S608 - table names from sqlite_master
        for table in tables:
            columns = [r["name"] for r in source.query(f"SELECT name FROM pragma_table_info('{table}')")]
            rows = [tuple(r) for r in source.query(f"SELECT {', '.join(columns)} FROM {table}")]  # noqa: S608
            conn.executemany(f"INSERT INTO {table} ({', '.join(columns)})"  # noqa: S608
                             f" VALUES ({', '.join('?' * len(columns))})", rows)
            copied[table] = len(rows)
        for r in conn.execute("SELECT table_name, column_name FROM information_schema.columns"
                              " WHERE table_schema = current_schema() AND is_identity = 'YES'").fetchall():
            table, column = r[0], r[1]
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"  # noqa: S608
                         f" COALESCE((SELECT max({column}) FROM {table}), 0) + 1, false)")
    return copied
