"""Which hosts a query covers: the ``client`` payload (ids or hostnames, or a Grafana variable's value), the
``labels`` payload (a label selector, ``env=prod,role=gpu``, a variable's multi-value ``env={prod,dev}``) and the
dashboard's ad hoc filters (``hostname``, ``online`` and every host label key)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from typing import Any

from api.errors import BadRequest, NotFound
from api.grafana.parse import Filter
from statusmon import labels as label_rules
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
    else:  # a label key (select_clients drops the keys no host carries): a host without the label has ""
        value = client.labels.effective.get(f.key, "")
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


# key=value, key={a,b} (a multi-value variable), separated by commas or spaces.
_PAIR = re.compile(r"\s*([^=,\s{}]+)\s*=\s*(\{[^}]*\}|[^,\s{}]*)\s*(?:,|\s|$)")


def requested_labels(raw: Any, where: str = "payload.labels") -> dict[str, set[str]]:
    """A label selector from a payload: ``"env=prod,role=gpu"``, ``"env={prod,dev}"`` or an object; key ->
    the values allowed. A key whose value is Grafana's "All" constrains nothing. Anything else: 400."""
    if raw is None:
        return {}
    if isinstance(raw, dict):
        pairs = [(str(k), v if isinstance(v, str) else "") for k, v in raw.items()]
    elif isinstance(raw, str):
        text = raw.strip()
        pairs = []
        pos = 0
        while pos < len(text):
            m = _PAIR.match(text, pos)
            if not m or m.end() == pos:
                raise BadRequest(f"{where}: {text[pos:pos + 60]!r} is not key=value (e.g. env=prod,role=gpu)")
            pairs.append((m.group(1), m.group(2)))
            pos = m.end()
    else:
        raise BadRequest(f"{where} must be a string (env=prod,role=gpu) or an object")
    out: dict[str, set[str]] = {}
    for key, value in pairs:
        values = [v.strip() for v in (value[1:-1].split(",") if value.startswith("{") else [value])]
        if not label_rules.key_ok(key) or not values:
            raise BadRequest(f"{where}: {label_rules.KEY_RULE}, got {key!r}")
        if any(v in _ALL for v in values):
            continue
        bad = [v for v in values if not label_rules.value_ok(v)]
        if bad:
            raise BadRequest(f"{where}: {label_rules.VALUE_RULE}, got {bad[0]!r}")
        if key in out:  # given twice: both must hold
            out[key] &= set(values)
        else:
            out[key] = set(values)
    return out


def with_labels(clients: list[Client], selector: dict[str, set[str]]) -> list[Client]:
    if not selector:
        return clients
    return [c for c in clients
            if all(c.labels.effective.get(k) in allowed for k, allowed in selector.items())]


def select_clients(clients: list[Client], online_timeout: int, payload_value: Any, filters: Sequence[Filter],
                   where: str = "payload.client", labels: Any = None) -> list[Client]:
    """Of ``clients``, the ones named (by id or hostname) or all, narrowed by a label selector (``labels``) and
    the ad hoc filters, by hostname.

    A name that matches no client is a 404, as ``GET /api/metrics/<unknown id>`` is.
    """
    known = set(tag_keys(clients))
    selector = requested_labels(labels)
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
    clients = with_labels(clients, selector)
    # A key we do not have filters nothing (it may be meant for another datasource).
    filters = [f for f in filters if f.key in known]
    if filters:
        now = time.time()
        clients = [c for c in clients if all(_matches(f, c, now, online_timeout) for f in filters)]
    return clients


def tag_keys(clients: list[Client]) -> list[str]:
    """The ad hoc filter keys: hostname, online, then every label key the hosts carry."""
    keys = {k for c in clients for k in c.labels.effective}
    return [*TAG_KEYS, *sorted(keys - set(TAG_KEYS))]


def label_values(key: str, clients: list[Client]) -> list[str]:
    return sorted({c.labels.effective[key] for c in clients if key in c.labels.effective})


def tag_values(key: str, clients: list[Client]) -> list[dict[str, str]]:
    if key == "hostname":
        return [{"text": c.hostname} for c in clients]
    if key == "online":
        return [{"text": "true"}, {"text": "false"}]
    return [{"text": v} for v in label_values(key, clients)]
