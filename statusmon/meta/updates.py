"""Agent updates, fleet side: the policy (target version per channel, rollout percentage, per-host channel, pin or
hold) and what each host last did. The one owner of ``update_channels`` and ``update_hosts``.

Which version a host should run (``decide``): a hold keeps it where it is; a pin names the version; otherwise its
channel's version, if the host is inside the rollout: a stable hash of its id, 0..99, below the percentage (so
raising the percentage only ever adds hosts).
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from typing import Any

from statusmon.meta.db import MetaDB

CHANNELS = ("stable", "canary")
VERSION_RE = re.compile(r"^\d+(\.\d+){0,3}$")
RESULTS = ("installed", "rolled_back", "refused", "failed", "skipped")
FAILURES = ("rolled_back", "refused", "failed")  # each raises a notification


class InvalidPolicy(ValueError):
    """The policy was refused; ``details`` maps each bad field to its messages."""

    def __init__(self, details: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in details.items()))
        self.details = details


def bucket(client_id: str) -> int:
    """The host's place in a rollout, 0..99: stable across calls and processes."""
    return int.from_bytes(hashlib.sha256(client_id.encode()).digest()[:4], "big") % 100


@dataclass(frozen=True)
class HostUpdate:
    client_id: str
    channel: str
    pin: str | None
    hold: bool
    target: str | None
    asked_at: float | None
    attempt_version: str | None
    attempt_result: str | None
    attempt_detail: str | None
    attempt_at: float | None

    @classmethod
    def default(cls, client_id: str) -> HostUpdate:
        """A host the policy never named and that never asked: stable channel, no target yet."""
        return cls(client_id, "stable", None, False, None, None, None, None, None, None)

    def as_dict(self) -> dict[str, Any]:
        return {"channel": self.channel, "pin": self.pin, "hold": self.hold, "target": self.target,
                "asked_at": self.asked_at,
                "last_attempt": None if self.attempt_version is None else {
                    "version": self.attempt_version, "result": self.attempt_result,
                    "detail": self.attempt_detail, "at": self.attempt_at}}


def _host(r: Any) -> HostUpdate:
    return HostUpdate(r["client_id"], r["channel"], r["pin"], bool(r["hold"]), r["target"], r["asked_at"],
                      r["attempt_version"], r["attempt_result"], r["attempt_detail"], r["attempt_at"])


class UpdatePolicy:
    def __init__(self, db: MetaDB):
        self.db = db

    # -- the policy -----------------------------------------------------------------------------------------
    def channels(self) -> dict[str, dict[str, Any]]:
        out = {c: {"version": None, "rollout_percent": 100} for c in CHANNELS}
        for r in self.db.query("SELECT channel, version, rollout_percent FROM update_channels"):
            out[r["channel"]] = {"version": r["version"], "rollout_percent": r["rollout_percent"]}
        return out

    def host(self, client_id: str) -> HostUpdate:
        r = self.db.query_one("SELECT * FROM update_hosts WHERE client_id = ?", (client_id,))
        return _host(r) if r is not None else HostUpdate.default(client_id)

    def hosts(self) -> dict[str, HostUpdate]:
        return {r["client_id"]: _host(r) for r in self.db.query("SELECT * FROM update_hosts")}

    def policy(self) -> dict[str, Any]:
        hosts = {cid: {"channel": h.channel, "pin": h.pin, "hold": h.hold} for cid, h in self.hosts().items()
                 if h.channel != "stable" or h.pin or h.hold}
        return {"channels": self.channels(), "hosts": hosts}

    def set_policy(self, body: Any, known_clients: set[str], now: float | None = None) -> dict[str, Any]:
        """Validate all of ``body`` (the shape ``policy()`` returns; parts may be left out), then write it all.

        Raises InvalidPolicy naming every bad field; nothing is written then."""
        now = time.time() if now is None else now
        errors: dict[str, list[str]] = {}
        if not isinstance(body, dict) or set(body) - {"channels", "hosts"}:
            raise InvalidPolicy({"body": ["an object with 'channels' and/or 'hosts'"]})
        channels = body.get("channels", {})
        hosts = body.get("hosts", {})
        if not isinstance(channels, dict):
            errors["channels"] = ["an object: channel -> {version, rollout_percent}"]
            channels = {}
        if not isinstance(hosts, dict):
            errors["hosts"] = ["an object: client id -> {channel, pin, hold}"]
            hosts = {}
        for name, ch in channels.items():
            where = f"channels.{name}"
            if name not in CHANNELS:
                errors[where] = [f"unknown channel; known: {', '.join(CHANNELS)}"]
            elif not isinstance(ch, dict) or set(ch) - {"version", "rollout_percent"}:
                errors[where] = ["an object with 'version' and 'rollout_percent'"]
            else:
                v, pct = ch.get("version"), ch.get("rollout_percent", 100)
                if v is not None and (not isinstance(v, str) or not VERSION_RE.match(v)):
                    errors[f"{where}.version"] = ["a release version like 1.2.3, or null"]
                if isinstance(pct, bool) or not isinstance(pct, int) or not 0 <= pct <= 100:
                    errors[f"{where}.rollout_percent"] = ["an integer from 0 to 100"]
        for cid, h in hosts.items():
            where = f"hosts.{cid}"
            if cid not in known_clients:
                errors[where] = ["no such client"]
            elif not isinstance(h, dict) or set(h) - {"channel", "pin", "hold"}:
                errors[where] = ["an object with 'channel', 'pin' and 'hold'"]
            else:
                if h.get("channel", "stable") not in CHANNELS:
                    errors[f"{where}.channel"] = [f"one of {', '.join(CHANNELS)}"]
                pin = h.get("pin")
                if pin is not None and (not isinstance(pin, str) or not VERSION_RE.match(pin)):
                    errors[f"{where}.pin"] = ["a release version like 1.2.3, or null"]
                if not isinstance(h.get("hold", False), bool):
                    errors[f"{where}.hold"] = ["true or false"]
        if errors:
            raise InvalidPolicy(errors)
        with self.db.tx() as conn:
            for name, ch in channels.items():
                conn.execute("INSERT INTO update_channels (channel, version, rollout_percent, updated_at)"
                             " VALUES (?, ?, ?, ?) ON CONFLICT (channel) DO UPDATE SET version = excluded.version,"
                             " rollout_percent = excluded.rollout_percent, updated_at = excluded.updated_at",
                             (name, ch.get("version"), ch.get("rollout_percent", 100), now))
            for cid, h in hosts.items():
                conn.execute("INSERT INTO update_hosts (client_id, channel, pin, hold) VALUES (?, ?, ?, ?)"
                             " ON CONFLICT (client_id) DO UPDATE SET channel = excluded.channel,"
                             " pin = excluded.pin, hold = excluded.hold",
                             (cid, h.get("channel", "stable"), h.get("pin"), int(bool(h.get("hold", False)))))
        return self.policy()

    # -- the agents' side -----------------------------------------------------------------------------------
    def decide(self, client_id: str, now: float | None = None) -> str | None:
        """The version ``client_id`` should run (None: stay), recorded as its target."""
        host = self.host(client_id)
        if host.hold:
            target = None
        elif host.pin:
            target = host.pin
        else:
            ch = self.channels()[host.channel]
            target = ch["version"] if ch["version"] and bucket(client_id) < ch["rollout_percent"] else None
        self.db.execute("INSERT INTO update_hosts (client_id, target, asked_at) VALUES (?, ?, ?)"
                        " ON CONFLICT (client_id) DO UPDATE SET target = excluded.target,"
                        " asked_at = excluded.asked_at", (client_id, target, time.time() if now is None else now))
        return target

    def record_result(self, client_id: str, version: str, result: str, detail: str,
                      now: float | None = None) -> None:
        self.db.execute("INSERT INTO update_hosts (client_id, attempt_version, attempt_result, attempt_detail,"
                        " attempt_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (client_id) DO UPDATE SET"
                        " attempt_version = excluded.attempt_version, attempt_result = excluded.attempt_result,"
                        " attempt_detail = excluded.attempt_detail, attempt_at = excluded.attempt_at",
                        (client_id, version, result, detail, time.time() if now is None else now))
