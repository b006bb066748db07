"""Monitored hosts ("clients") and their agent tokens. A client's identity comes from its token only."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from statusmon.meta import tokens
from statusmon.meta.db import MetaDB
from statusmon.meta.labels import NONE, ClientLabels, HostLabels, read_agent, replace_agent
from statusmon.meta.overview import overview_json, overview_of_stored

HOSTNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")


class InvalidHostname(ValueError):
    pass


class DuplicateHostname(ValueError):
    pass


@dataclass(frozen=True)
class Client:
    id: str
    hostname: str
    created_at: int
    agent_version: str | None
    last_seen: int | None
    # The latest sample as stored (JSON text), decoded on first use: an agent's every report authenticates
    # through a Client and never reads it.
    last_sample_json: str | None = field(repr=False)
    dropped_total: int
    labels: HostLabels = NONE

    @cached_property
    def last_sample(self) -> dict[str, Any] | None:
        return json.loads(self.last_sample_json) if self.last_sample_json else None

    def online(self, now: float, timeout: float) -> bool:
        return _online(self.last_seen, now, timeout)

    def as_dict(self, now: float, timeout: float, latest: bool = True) -> dict[str, Any]:
        out = {
            "id": self.id, "hostname": self.hostname, "created_at": self.created_at,
            "agent_version": self.agent_version, "last_seen": self.last_seen,
            "online": self.online(now, timeout), "latest": self.last_sample,
            "dropped_total": self.dropped_total, **self.labels.as_dict(),
        }
        if not latest:
            del out["latest"]
        return out


@dataclass(frozen=True)
class Presence:
    """A client's id, hostname and last seen: what the live feed's presence check and the offline alert need."""

    id: str
    hostname: str
    last_seen: int | None

    def online(self, now: float, timeout: float) -> bool:
        return _online(self.last_seen, now, timeout)


def _online(last_seen: int | None, now: float, timeout: float) -> bool:
    """Online: reported a sample no more than ``timeout`` seconds ago."""
    return last_seen is not None and now - last_seen <= timeout


def validate_hostname(hostname: str) -> str:
    if not isinstance(hostname, str) or not HOSTNAME_RE.match(hostname):
        raise InvalidHostname("hostname must be 1-253 characters of letters, digits, '.', '_' and '-', "
                              "starting with a letter or digit")
    return hostname


class ClientRegistry:
    def __init__(self, db: MetaDB):
        self.db = db
        self.labels = ClientLabels(db)

    def add(self, hostname: str) -> tuple[Client, str]:
        """Create a client; returns it with its token, which is never stored or shown again."""
        validate_hostname(hostname)
        client_id, secret = tokens.new_id(), tokens.new_secret()
        now = int(time.time())
        with self.db.tx() as conn:
            if conn.execute("SELECT 1 FROM clients WHERE hostname = ?", (hostname,)).fetchone():
                raise DuplicateHostname(f"a client named {hostname!r} exists already")
            conn.execute("INSERT INTO clients (id, hostname, token_hash, created_at) VALUES (?, ?, ?, ?)",
                         (client_id, hostname, tokens.hash_secret(secret), now))
        client = self.get(client_id)
        assert client is not None
        return client, tokens.make_token(client_id, secret)

    def get(self, client_id: str) -> Client | None:
        row = self.db.query_one("SELECT * FROM clients WHERE id = ?", (client_id,))
        return _client(row, self.labels.get(client_id)) if row else None

    def listing(self, selector: dict[str, str] | None = None,
                overview: bool = False) -> list[tuple[Client, str | None]]:
        """As ``list()``, but each client without its latest sample decoded: (client, the sample's stored JSON
        text). Decoding 5,000 samples only to encode them again was most of ``GET /api/clients``' time.
        ``overview``: the sample's overview part instead (statusmon/meta/overview.py), as stored with it."""
        labels = self.labels.all()
        out = []
        column = "overview_sample" if overview else "last_sample"
        for r in self.db.query("SELECT id, hostname, created_at, agent_version, last_seen, dropped_total, last_sample"
                               f"{', overview_sample' if overview else ''} FROM clients ORDER BY hostname"):
            hl = labels.get(r["id"], NONE)
            if selector and any(hl.effective.get(k) != v for k, v in selector.items()):
                continue
            client = Client(id=r["id"], hostname=r["hostname"], created_at=r["created_at"],
                            agent_version=r["agent_version"], last_seen=r["last_seen"] or None, last_sample_json=None,
                            dropped_total=r["dropped_total"], labels=hl)
            latest = r[column] or None
            if latest is None and overview and r["last_sample"]:  # reported before the column existed
                latest = overview_of_stored(r["last_sample"])
            out.append((client, latest))
        return out

    # Before list(): below it, mypy would read "list" in an annotation as that method.
    def roster(self) -> list[Presence]:
        """Every client's presence, in no particular order; unlike ``list()`` it decodes no latest sample
        (that cost ~40 % of a busy server's CPU with 500 clients, read every 2 s by the live feed)."""
        return [Presence(r["id"], r["hostname"], r["last_seen"] or None)
                for r in self.db.query("SELECT id, hostname, last_seen FROM clients")]

    def list(self, selector: dict[str, str] | None = None) -> list[Client]:
        """Every client by hostname, with its labels; with a selector, only hosts carrying all its labels."""
        labels = self.labels.all()
        out = [_client(r, labels.get(r["id"], NONE)) for r in self.db.query("SELECT * FROM clients ORDER BY hostname")]
        if selector:
            out = [c for c in out if all(c.labels.effective.get(k) == v for k, v in selector.items())]
        return out

    def remove(self, client_id: str) -> bool:
        return self.db.execute("DELETE FROM clients WHERE id = ?", (client_id,)) > 0

    def rotate_token(self, client_id: str) -> str | None:
        secret = tokens.new_secret()
        changed = self.db.execute("UPDATE clients SET token_hash = ? WHERE id = ?",
                                  (tokens.hash_secret(secret), client_id))
        return tokens.make_token(client_id, secret) if changed else None

    def authenticate(self, token: str) -> Client | None:
        parts = tokens.split_token(token)
        if parts is None:
            return None
        row = self.db.query_one("SELECT * FROM clients WHERE id = ?", (parts[0],))
        if row is None or not tokens.secret_matches(parts[1], row["token_hash"]):
            return None
        return _client(row)

    def record_report(self, client_id: str, agent_version: str | None, last_sample: dict[str, Any] | None,
                      dropped: int | None) -> None:
        self.record_reports([Report(client_id, agent_version, last_sample, dropped)])

    def record_reports(self, reports: Sequence[Report]) -> None:
        """Remember what the overview shows: version, last seen (the newest sample time) and latest values,
        and the agent's labels where a report carries them.

        One transaction for many reports; a replayed older batch never moves last_seen backwards.
        """
        # Read back in the same transaction, never from a cache in this process: with several workers an agent's
        # labels going X -> Y -> X can reach another worker in between, and a cache would keep Y.
        labelled = {r.client_id: r.labels for r in reports if r.labels is not None}
        rows = []
        for r in reports:
            ts = r.last_sample["ts"] if r.last_sample else None
            rows.append((r.agent_version, ts, ts, json.dumps(r.last_sample) if r.last_sample else None,
                         ts, ts, overview_json(r.last_sample) if r.last_sample else None,
                         ts, ts, r.dropped, r.dropped, r.client_id))
        with self.db.tx() as conn:
            conn.executemany(
                """UPDATE clients SET agent_version = COALESCE(?, agent_version),
                       last_sample = CASE WHEN ? IS NOT NULL AND (last_seen IS NULL OR ? >= last_seen)
                                          THEN ? ELSE last_sample END,
                       overview_sample = CASE WHEN ? IS NOT NULL AND (last_seen IS NULL OR ? >= last_seen)
                                              THEN ? ELSE overview_sample END,
                       last_seen = CASE WHEN COALESCE(?, 0) > COALESCE(last_seen, 0) THEN ?
                                        ELSE COALESCE(last_seen, 0) END,
                       dropped_total = CASE WHEN COALESCE(?, 0) > dropped_total THEN ? ELSE dropped_total END
                   WHERE id = ?""", rows)
            if labelled:
                # Two queries for the whole batch; a host removed meanwhile is not in ``stored`` (it has no row
                # to hang labels on: the foreign key would fail the batch).
                stored = read_agent(conn, labelled)
                replace_agent(conn, [(cid, lb) for cid, lb in labelled.items() if cid in stored and stored[cid] != lb])


@dataclass(frozen=True)
class Report:
    client_id: str
    agent_version: str | None
    last_sample: dict[str, Any] | None
    dropped: int | None
    labels: dict[str, str] | None = None  # the agent's labels; None: the report carried none (keep what is known)


def _client(row: Any, labels: HostLabels = NONE) -> Client:
    return Client(
        id=row["id"], hostname=row["hostname"], created_at=row["created_at"],
        agent_version=row["agent_version"], last_seen=row["last_seen"] or None,
        last_sample_json=row["last_sample"] or None,
        dropped_total=row["dropped_total"], labels=labels,
    )
