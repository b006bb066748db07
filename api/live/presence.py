"""Online/offline changes of clients: a pure diff, run periodically by the live feed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from statusmon.meta.clients import Client, Presence


@dataclass(frozen=True)
class Change:
    client_id: str
    hostname: str
    online: bool | None  # None: the client was removed
    last_seen: int | None


def diff(previous: dict[str, bool], clients: Iterable[Client | Presence], now: float,
         timeout: float) -> tuple[dict[str, bool], list[Change]]:
    """The new online map and what changed since ``previous`` (new clients count as changes too)."""
    current: dict[str, bool] = {}
    changes: list[Change] = []
    for c in clients:
        online = c.online(now, timeout)
        current[c.id] = online
        if previous.get(c.id) != online:
            changes.append(Change(c.id, c.hostname, online, c.last_seen))
    for gone in previous.keys() - current.keys():
        changes.append(Change(gone, "", None, None))
    return current, changes

