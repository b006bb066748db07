"""Grouping: when several alerts change state in one evaluation cycle (a switch fails and 200 hosts go
offline), each channel gets one message listing them (counted, the first few named), not one per alert.

PagerDuty is the exception (``Channel.groups`` False): its model is one event per incident, deduplicated by
``dedup_key``, so it gets every event on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from statusmon.notify.channels import BY_NAME
from statusmon.notify.events import group_event

GROUP_FROM = 2  # a cycle with this many events or more sends one message per grouping channel


def outbox_rows(channels: Iterable[str], events: Sequence[dict[str, Any]], at: float,
                public_url: str = "", route: Callable[[dict[str, Any]], Collection[str]] | None = None,
                ) -> list[tuple[str, dict[str, Any]]]:
    """(channel, event) rows for one cycle's ``events``, in order: grouped per channel where it groups.

    ``route``: the channels one event goes to (per-rule routing); without it every event goes to every channel.
    A channel groups the events routed to it (so two channels may get different groups)."""
    rows: list[tuple[str, dict[str, Any]]] = []
    if not events:
        return rows
    routes = [route(e) for e in events] if route else None
    groups: dict[tuple[int, ...], dict[str, Any]] = {}  # the same selection of events: one group, built once
    for ch in channels:
        picked = [i for i in range(len(events)) if routes is None or ch in routes[i]]
        if not picked:
            continue
        known = BY_NAME.get(ch)
        if len(picked) >= GROUP_FROM and (known is None or known.groups):
            key = tuple(picked)
            if key not in groups:
                groups[key] = group_event([events[i] for i in picked], at, public_url)
            rows.append((ch, groups[key]))
        else:
            rows.extend((ch, events[i]) for i in picked)
    return rows
