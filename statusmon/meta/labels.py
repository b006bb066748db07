"""The client_labels table (migration 6): each host's labels, as its agent reports them and as an admin sets them.

Two sources per host: ``agent`` (the agent's config, replaced by every report that carries labels) and
``admin`` (``PATCH /api/clients/<id>``). A host's labels are the agent's with the admin's value winning where
both name a key (statusmon.labels.effective). Labels live here only, never in stored points: re-labelling a
host rewrites no history.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from statusmon import labels as rules
from statusmon.meta.db import MetaDB


@dataclass(frozen=True)
class HostLabels:
    agent: dict[str, str] = field(default_factory=dict)
    admin: dict[str, str] = field(default_factory=dict)

    @property
    def effective(self) -> dict[str, str]:
        return rules.effective(self.agent, self.admin)

    def as_dict(self) -> dict[str, object]:
        """What a client's JSON carries: the labels in effect and where each one comes from."""
        return {"labels": self.effective,
                "label_sources": {k: ("admin" if k in self.admin else "agent") for k in self.effective}}


NONE = HostLabels()


class ClientLabels:
    def __init__(self, db: MetaDB):
        self.db = db

    def all(self) -> dict[str, HostLabels]:
        """Every labelled host's labels (a host without any is absent)."""
        by_host: dict[str, tuple[dict[str, str], dict[str, str]]] = defaultdict(lambda: ({}, {}))
        for r in self.db.query("SELECT client_id, source, label_key, label_value FROM client_labels"):
            agent, admin = by_host[r["client_id"]]
            (admin if r["source"] == "admin" else agent)[r["label_key"]] = r["label_value"]
        return {cid: HostLabels(agent, admin) for cid, (agent, admin) in by_host.items()}

    def effective_all(self) -> dict[str, dict[str, str]]:
        """Every labelled host's labels in effect: what alert rule selectors are matched against."""
        return {cid: hl.effective for cid, hl in self.all().items()}

    def get(self, client_id: str) -> HostLabels:
        agent: dict[str, str] = {}
        admin: dict[str, str] = {}
        for r in self.db.query("SELECT source, label_key, label_value FROM client_labels WHERE client_id = ?",
                               (client_id,)):
            (admin if r["source"] == "admin" else agent)[r["label_key"]] = r["label_value"]
        return HostLabels(agent, admin)

    def patch_admin(self, client_id: str, patch: Mapping[str, str | None]) -> HostLabels:
        """Merge an admin's change: a value sets the admin's label, null removes it (the agent's shows again).

        The patch must be valid (statusmon.labels.validate with allow_null); InvalidLabels if the host would
        end up with more than MAX_LABELS labels, and then nothing is written.
        """
        with self.db.tx() as conn:
            current = _read(conn, client_id)
            admin = dict(current.admin)
            for k, v in patch.items():
                if v is None:
                    admin.pop(k, None)
                else:
                    admin[k] = v
            after = HostLabels(current.agent, admin)
            if len(after.effective) > rules.MAX_LABELS:
                raise rules.InvalidLabels(
                    f"at most {rules.MAX_LABELS} labels per host: this change would give {len(after.effective)}")
            conn.execute("DELETE FROM client_labels WHERE client_id = ? AND source = 'admin'", (client_id,))
            conn.executemany(
                "INSERT INTO client_labels (client_id, source, label_key, label_value) VALUES (?, 'admin', ?, ?)",
                [(client_id, k, v) for k, v in sorted(admin.items())])
        return after

    def matching(self, selector: Mapping[str, str]) -> set[str]:
        """The ids of hosts whose labels carry every pair of ``selector``."""
        return {cid for cid, hl in self.all().items() if rules.matches(hl.effective, selector)}


def replace_agent(conn: sqlite3.Connection, rows: Iterable[tuple[str, Mapping[str, str]]]) -> None:
    """In the caller's transaction: each (client, labels) becomes that host's whole set of agent labels."""
    for client_id, labels in rows:
        conn.execute("DELETE FROM client_labels WHERE client_id = ? AND source = 'agent'", (client_id,))
        conn.executemany(
            "INSERT INTO client_labels (client_id, source, label_key, label_value) VALUES (?, 'agent', ?, ?)",
            [(client_id, k, v) for k, v in sorted(labels.items())])


def read_agent(conn: sqlite3.Connection, client_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """The agent labels of each of ``client_ids`` that exists ({} for one with none), in one query per 500."""
    ids = list(client_ids)
    out: dict[str, dict[str, str]] = {}
    for part in _chunks(ids):
        marks = ", ".join("?" * len(part))
        for r in conn.execute(f"SELECT id FROM clients WHERE id IN ({marks})", part).fetchall():
            out[r[0]] = {}
        for r in conn.execute(f"SELECT client_id, label_key, label_value FROM client_labels "
                              f"WHERE source = 'agent' AND client_id IN ({marks})", part).fetchall():
            out[r[0]][r[1]] = r[2]
    return out


def _chunks(ids: list[str], size: int = 500) -> Iterator[list[str]]:
    # Under SQLite's smallest limit of bound parameters (999 before 3.32).
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def _read(conn: sqlite3.Connection, client_id: str) -> HostLabels:
    agent: dict[str, str] = {}
    admin: dict[str, str] = {}
    for r in conn.execute("SELECT source, label_key, label_value FROM client_labels WHERE client_id = ?",
                          (client_id,)):
        (admin if r[0] == "admin" else agent)[r[1]] = r[2]
    return HostLabels(agent, admin)
