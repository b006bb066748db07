"""Which hosts a query covers: the ``client`` payload (ids or hostnames, or a Grafana variable's value)
and the dashboard's ad hoc filters (``hostname``, ``online``)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from typing import Any

from api.errors import BadRequest, NotFound
from api.grafana.parse import Filter
from statusmon.meta.clients import Client

TAG_KEYS = ("hostname", "online")
# What a Grafana variable sends for "All" when it has no custom all-value, and what people type for it.
_ALL = frozenset({"", "*", "$__all", "all", "All"})
_TRUE = frozenset({"true", "1", "yes", "online"})
_FALSE = frozenset({"false", "0", "no", "offline"})


def requested_names(raw: Any, where: str) -> list[str] | None:
    """The names in a payload value, or None for "every one".

    Grafana may interpolate a multi-value variable as ``{a,b}`` or ``a,b`` inside a string, or the builder may
    send a list; all are accepted.
    """
    if raw is None:
        return None
    items: Iterable[Any] = raw if isinstance(raw, list) else [raw]
    names: list[str] = []
    for item in items:
        if not isinstance(item, str | int) or isinstance(item, bool):
            raise BadRequest(f"{where} must be a string or a list of strings")
        text = str(item).strip()
        if text.startswith("{") and text.endswith("}"):
            text = text[1:-1]
        names += [part.strip() for part in text.split(",")]
    if any(n in _ALL for n in names):
        return None
    return list(dict.fromkeys(names))


def is_online(client: Client, now: float, timeout: int) -> bool:
    return client.online(now, timeout)


def _matches(f: Filter, client: Client, now: float, timeout: int) -> bool:
    if f.key == "hostname":
        value = client.hostname
    elif f.key == "online":
        value = "true" if is_online(client, now, timeout) else "false"
        if f.value.lower() in _TRUE:
            f = Filter(f.key, f.operator, "true")
        elif f.value.lower() in _FALSE:
            f = Filter(f.key, f.operator, "false")
    else:
        return True  # a key we do not have filters nothing (it may be meant for another datasource)
    op = f.operator
    if op == "=":
        return value == f.value
    if op == "!=":
        return value != f.value
    if op in ("=~", "!~"):
        try:
            found = re.search(f.value, value) is not None
        except re.error as e:
            raise BadRequest(f"ad hoc filter {f.key} {op}: invalid regular expression: {e}") from None
        return found if op == "=~" else not found
    raise BadRequest(f"ad hoc filter operator {op!r} is not supported (use =, !=, =~ or !~)")


def select_clients(clients: list[Client], online_timeout: int, payload_value: Any, filters: Sequence[Filter],
                   where: str = "payload.client") -> list[Client]:
    """Of ``clients``, the ones named (by id or hostname) or all, narrowed by the ad hoc filters, by hostname.

    A name that matches no client is a 404, as ``GET /api/metrics/<unknown id>`` is.
    """
    names = requested_names(payload_value, where)
    if names is not None:
        by_id = {c.id: c for c in clients}
        by_host = {c.hostname: c for c in clients}
        chosen: dict[str, Client] = {}
        for n in names:
            c = by_id.get(n) or by_host.get(n)
            if c is None:
                raise NotFound(f"no client with the id or hostname {n!r}")
            chosen[c.id] = c
        clients = sorted(chosen.values(), key=lambda c: c.hostname)
    if filters:
        now = time.time()
        clients = [c for c in clients if all(_matches(f, c, now, online_timeout) for f in filters)]
    return clients


def tag_values(key: str, clients: list[Client]) -> list[dict[str, str]]:
    if key == "hostname":
        return [{"text": c.hostname} for c in clients]
    if key == "online":
        return [{"text": "true"}, {"text": "false"}]
    return []
