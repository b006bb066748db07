"""Grouping: when several alerts change state in one evaluation cycle (a switch fails and 200 hosts go
offline), each channel gets one message listing them (counted, the first few named), not one per alert.

PagerDuty is the exception (``Channel.groups`` False): its model is one event per incident, deduplicated by
``dedup_key``, so it gets every event on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from statusmon.notify.channels import BY_NAME
from statusmon.notify.events import group_event

GROUP_FROM = 2  # a cycle with this many events or more sends one message per grouping channel


def outbox_rows(channels: Iterable[str], events: Sequence[dict[str, Any]], at: float,
                public_url: str = "") -> list[tuple[str, dict[str, Any]]]:
    """(channel, event) rows for one cycle's ``events``, in order: grouped per channel where it groups."""
    rows: list[tuple[str, dict[str, Any]]] = []
    if not events:
        return rows
    group: dict[str, Any] | None = None
    for ch in channels:
        known = BY_NAME.get(ch)
        if len(events) >= GROUP_FROM and (known is None or known.groups):
            group = group or group_event(events, at, public_url)
            rows.append((ch, group))
        else:
            rows.extend((ch, e) for e in events)
    return rows
