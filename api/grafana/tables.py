"""Table results for ``POST /query``: ``stats`` (as ``GET /api/stats``), ``fleet`` (as ``GET /api/clients``).

A table is ``{"type": "table", "columns": [{"text", "type"}], "rows": [[...], ...]}``; the plugin turns it
into a data frame whose fields are named by the column texts.
"""

from __future__ import annotations

import time
from typing import Any

from api.errors import BadRequest
from api.grafana.parse import TimeRange
from api.grafana.selection import requested_names
from statusmon.meta.clients import Client
from statusmon.metrics import SYSTEM_METRIC_NAMES, SYSTEM_METRICS
from statusmon.store.history import HistoryStats

UNITS = {m.name: m.unit for m in SYSTEM_METRICS}


def table(columns: list[tuple[str, str]], rows: list[list[Any]], ref_id: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "table", "columns": [{"text": t, "type": k} for t, k in columns],
                           "rows": rows}
    if ref_id is not None:
        out["refId"] = ref_id
    return out


STATS_COLUMNS = [("host", "string"), ("client_id", "string"), ("metric", "string"), ("unit", "string"),
                 ("count", "number"), ("min", "number"), ("max", "number"), ("avg", "number"),
                 ("p95", "number"), ("exact", "string")]


def stats_table(stats: HistoryStats, payload: dict[str, Any], clients: list[Client], rng: TimeRange,
                ref_id: str | None) -> dict[str, Any]:
    """One row per host and metric; the numbers are HistoryStats', which GET /api/stats returns."""
    names = requested_names(payload.get("metrics"), "payload.metrics")
    fields = list(SYSTEM_METRIC_NAMES) if names is None else names
    unknown = [f for f in fields if f not in SYSTEM_METRIC_NAMES]
    if unknown:
        raise BadRequest(f"payload.metrics: unknown system metrics: {', '.join(unknown)}",
                         details={"allowed": list(SYSTEM_METRIC_NAMES)})
    rows: list[list[Any]] = []
    if not rng.empty:
        for c in clients:
            result = stats.stats(c.id, rng.start, rng.end, fields)
            for f in fields:
                s = result.stats[f]
                rows.append([c.hostname, c.id, f, UNITS[f], s.count, s.min, s.max, s.avg, s.p95,
                             "yes" if result.exact else "no"])
    return table(STATS_COLUMNS, rows, ref_id)


FLEET_COLUMNS = ([("host", "string"), ("client_id", "string"), ("status", "string"), ("last_seen", "time"),
                  ("agent_version", "string")]
                 + [(name, "number") for name in SYSTEM_METRIC_NAMES]
                 + [("max_mount_used_percent", "number"), ("max_mount_inodes_percent", "number"),
                    ("max_gpu_temp_c", "number"), ("dropped_total", "number")])


def _max_of(items: Any, key: str) -> float | None:
    values: list[float] = [i[key] for i in items or () if isinstance(i, dict) and i.get(key) is not None]
    return max(values) if values else None


def fleet_table(clients: list[Client], online_timeout: int, ref_id: str | None) -> dict[str, Any]:
    """Every host now: online or offline (the dashboard's timeout), last seen, latest values, worst mount."""
    now, timeout = time.time(), online_timeout
    rows: list[list[Any]] = []
    for c in clients:
        latest = c.last_sample or {}
        rows.append([c.hostname, c.id, "online" if c.online(now, timeout) else "offline",
                     c.last_seen * 1000 if c.last_seen is not None else None, c.agent_version]
                    + [latest.get(name) for name in SYSTEM_METRIC_NAMES]
                    + [_max_of(latest.get("disks"), "used_percent"),
                       _max_of(latest.get("disks"), "inodes_percent"),
                       _max_of(latest.get("gpus"), "temp_c"), c.dropped_total])
    return table(FLEET_COLUMNS, rows, ref_id)
