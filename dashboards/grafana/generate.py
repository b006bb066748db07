"""Writes the Grafana dashboards in dashboards/grafana/dashboards/ (run it after changing this file).

Two sets with the same three dashboards (fleet overview, host detail, alerts): one on the Status Monitor JSON
API (simpod-json-datasource, uid ``statusmon-json``), one on InfluxDB directly in InfluxQL (uid
``statusmon-influxdb``). Alert history lives in the API's metadata database, so the alert annotations of both
sets come from the JSON API. tests/grafana/test_dashboards.py checks the files are what this writes.

Metric names, units and chart titles come from the catalogue (statusmon/metrics.py), JSON API target names from
the API's own naming (api/grafana/catalogue.py); this file only chooses which metric goes on which panel.

    python dashboards/grafana/generate.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:  # run as a script: the catalogue is the repository's own package
    sys.path.insert(0, str(ROOT))

from api.grafana.catalogue import target_name  # noqa: E402
from statusmon.metrics import (  # noqa: E402
    CPU_PERCENT,
    CPU_TEMP_C,
    DISK_PERCENT,
    DISK_READ,
    DISK_WRITE,
    DOCKER_BUILD_CACHE,
    DOCKER_BYTES,
    DOCKER_CONTAINERS,
    DOCKER_IMAGES,
    DOCKER_RECLAIMABLE,
    DOCKER_VOLUMES,
    FAMILY_KEY,
    GPU_MEM_PERCENT,
    GPU_PERCENT,
    GPU_POWER_W,
    GPU_TEMP_C,
    GPU_UTIL_PERCENT,
    INODE_PERCENT,
    LOAD1,
    LOAD5,
    LOAD15,
    MOUNT_INODES_PERCENT,
    MOUNT_USED_PERCENT,
    NET_RX,
    NET_TX,
    RAM_PERCENT,
    SYSTEM_METRICS,
    Metric,
    metric,
)

OUT = HERE / "dashboards"
SCHEMA_VERSION = 39
JSON_DS = {"type": "simpod-json-datasource", "uid": "statusmon-json"}
INFLUX_DS = {"type": "influxdb", "uid": "statusmon-influxdb"}
# Catalogue unit -> Grafana unit id.
UNITS = {"percent": "percent", "bytes": "bytes", "celsius": "celsius", "watts": "watt", "count": "short",
         "bytes_per_second": "binBps", "per_second": "ops", "load": "short"}


class Board:
    """Panels laid out left to right, two per row (or full width), with ids in order."""

    def __init__(self) -> None:
        self.panels: list[dict[str, Any]] = []
        self.x = self.y = 0

    def add(self, panel: dict[str, Any], width: int = 12, height: int = 8) -> None:
        if self.x + width > 24:
            self.x, self.y = 0, self.y + height
        panel = {
            "id": len(self.panels) + 1,
            **panel,
            "gridPos": {"h": height, "w": width, "x": self.x, "y": self.y},
        }
        self.panels.append(panel)
        self.x += width
        if self.x >= 24:
            self.x, self.y = 0, self.y + height


# Which metric goes on which panel, shared by both sets (JSON API and InfluxDB).
FLEET_PER_HOST = (CPU_PERCENT, RAM_PERCENT, DISK_PERCENT, INODE_PERCENT)  # fleet: one line per host
WORST_MOUNT = (  # fleet: each host's worst mount
    (MOUNT_USED_PERCENT, "Worst mount used per host (max)"),
    (MOUNT_INODES_PERCENT, "Worst mount inodes per host (max)"),
)
HOST_PEAKS = (CPU_PERCENT, RAM_PERCENT)  # host detail: the mean and a peak
HOST_ROOT = (DISK_PERCENT, INODE_PERCENT)  # host detail: one chart for the root filesystem
HOST_PER_KEY = (MOUNT_USED_PERCENT, MOUNT_INODES_PERCENT, GPU_UTIL_PERCENT, GPU_MEM_PERCENT, GPU_TEMP_C, GPU_POWER_W,
                # issue 15: per interface, disk, sensor and container
                metric("rx_bytes_per_s", "net"), metric("tx_bytes_per_s", "net"), metric("busy_percent", "diskio"),
                metric("temp_c", "temp"), metric("cpu_percent", "container"), metric("mem_bytes", "container"))
# host detail: charts of several system metrics each (title, unit, metrics), then single ones
HOST_GROUPS = (
    ("Load average", "load", (LOAD1, LOAD5, LOAD15)),
    ("Network (physical interfaces)", "bytes_per_second", (NET_RX, NET_TX)),
    ("Disk I/O (whole disks)", "bytes_per_second", (DISK_READ, DISK_WRITE)),
    ("Docker disk usage by kind", "bytes", (DOCKER_IMAGES, DOCKER_CONTAINERS, DOCKER_VOLUMES, DOCKER_BUILD_CACHE,
                                            DOCKER_RECLAIMABLE)),
)
HOST_SINGLE = (CPU_TEMP_C,)
# alerts: the per-interval maximum of what alert rules most often watch
ALERT_MAXIMA = (CPU_PERCENT, RAM_PERCENT, MOUNT_USED_PERCENT, MOUNT_INODES_PERCENT, GPU_TEMP_C, GPU_MEM_PERCENT)
FLEET_WORST_COLUMNS = (MOUNT_USED_PERCENT, MOUNT_INODES_PERCENT, GPU_TEMP_C)  # the JSON API's fleet table


def chart_title(m: Metric) -> str:
    """A chart of one metric: its catalogue title, per mount where there is one line per mount."""
    return f"{m.title} per mount" if m.family == "disk" else m.title


def worst_column(m: Metric) -> str:
    """The JSON API fleet table's column with a host's worst mount or GPU for ``m`` (api/grafana/tables.py)."""
    return "max_" + {"disk": "mount", "gpu": "gpu"}[m.family] + "_" + m.name


def timeseries(
    title: str, ds: dict[str, str], targets: list[dict[str, Any]], unit: str, max_value: float | None = None
) -> dict[str, Any]:
    defaults: dict[str, Any] = {"unit": UNITS.get(unit, unit), "custom": {"spanNulls": False}}
    if unit == "percent":
        defaults.update(min=0, max=100 if max_value is None else max_value)
    return {
        "type": "timeseries",
        "title": title,
        "datasource": ds,
        "targets": targets,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {
            "legend": {"displayMode": "table", "placement": "bottom", "calcs": ["mean", "max", "last"]},
            "tooltip": {"mode": "multi"},
        },
    }


def table_panel(
    title: str,
    ds: dict[str, str],
    targets: list[dict[str, Any]],
    overrides: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "type": "table",
        "title": title,
        "datasource": ds,
        "targets": targets,
        "fieldConfig": {"defaults": {}, "overrides": overrides or []},
        "options": {"showHeader": True},
    }


def unit_override(names: list[str], unit: str) -> dict[str, Any]:
    return {
        "matcher": {"id": "byRegexp", "options": "^(" + "|".join(names) + ")$"},
        "properties": [{"id": "unit", "value": unit}],
    }


def unit_overrides(columns: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """One override per catalogue unit of the (column, unit) pairs, units in order of first appearance."""
    by_unit: dict[str, list[str]] = {}
    for name, unit in columns:
        by_unit.setdefault(unit, []).append(name)
    return [unit_override(names, UNITS.get(unit, unit)) for unit, names in by_unit.items()]


STATUS_OVERRIDE = {
    "matcher": {"id": "byName", "options": "status"},
    "properties": [
        {"id": "custom.cellOptions", "value": {"type": "color-background"}},
        {
            "id": "mappings",
            "value": [
                {
                    "type": "value",
                    "options": {
                        "online": {"color": "green", "index": 0},
                        "offline": {"color": "red", "index": 1},
                    },
                }
            ],
        },
    ],
}


def dashboard(
    uid: str,
    title: str,
    board: Board,
    variables: list[dict[str, Any]],
    tags: list[str],
    annotations: list[dict[str, Any]] | None = None,
    time_from: str = "now-6h",
) -> dict[str, Any]:
    builtin = {
        "builtIn": 1,
        "datasource": {"type": "grafana", "uid": "-- Grafana --"},
        "enable": True,
        "hide": True,
        "iconColor": "rgba(0, 211, 255, 1)",
        "name": "Annotations & Alerts",
        "type": "dashboard",
    }
    return {
        "uid": uid,
        "title": title,
        "tags": ["statusmon", *tags],
        "timezone": "browser",
        "editable": True,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "refresh": "30s",
        "time": {"from": time_from, "to": "now"},
        # Long ranges on both sets: the JSON API serves them from the history tiers by itself (1-minute buckets
        # for 90 days, 1-hour for 2 years); the InfluxDB boards have panels on the tier chosen by $tier.
        "timepicker": {"quick_ranges": LONG_RANGES},
        "annotations": {"list": [builtin, *(annotations or [])]},
        "templating": {"list": variables},
        "panels": board.panels,
        "links": [
            {"type": "dashboards", "tags": ["statusmon"], "asDropdown": True, "title": "Status Monitor"}
        ],
    }


LONG_RANGES = [{"from": f"now-{r}", "to": "now", "display": f"Last {label}"} for r, label in
               (("1h", "hour"), ("24h", "24 hours"), ("7d", "7 days"), ("30d", "30 days"), ("90d", "90 days"),
                ("1y", "year"), ("2y", "2 years"))]


def alert_annotation(client: str) -> dict[str, Any]:
    """Alert history from the JSON API: a frame with time, timeEnd, title, text, tags."""
    return {
        "name": "Alerts",
        "datasource": JSON_DS,
        "enable": True,
        "iconColor": "red",
        "target": {"refId": "Anno", "target": "alerts", "payload": {"client": client}},
    }


def alert_history_table(title: str) -> dict[str, Any]:
    """The alert history of the hosts in $host, from the JSON API (both sets: InfluxDB does not hold it)."""
    return table_panel(
        title, JSON_DS, [jt("alerts", "$host")], [unit_override(["time", "timeEnd"], "dateTimeAsIso")]
    )


# -- JSON API ------------------------------------------------------------


def jt(target: str, client: str = "", ref: str = "A", **payload: str) -> dict[str, Any]:
    p: dict[str, str] = {"client": client} if client else {}
    p.update(payload)
    return {"refId": ref, "datasource": JSON_DS, "target": target, "payload": p}


def mt(m: Metric, client: str = "", ref: str = "A", **payload: str) -> dict[str, Any]:
    """A JSON API target for one catalogue metric."""
    return jt(target_name(m), client, ref, **payload)


def json_chart(title: str, m: Metric, client: str = "", **payload: str) -> dict[str, Any]:
    return timeseries(title, JSON_DS, [mt(m, client, **payload)], m.unit)


def json_host_variable(multi: bool) -> dict[str, Any]:
    return {
        "name": "host",
        "label": "Host",
        "type": "query",
        "datasource": JSON_DS,
        "query": {"query": "hosts", "format": "string"},
        "definition": "hosts",
        "refresh": 1,
        "multi": multi,
        "includeAll": multi,
        "sort": 1,
        "current": {},
        "options": [],
    }


ADHOC_JSON = {"name": "filters", "label": "Filters", "type": "adhoc", "datasource": JSON_DS}


def json_fleet_table() -> dict[str, Any]:
    columns = [(m.name, m.unit) for m in SYSTEM_METRICS] + [(worst_column(m), m.unit) for m in FLEET_WORST_COLUMNS]
    return table_panel(
        "Hosts: status and latest values",
        JSON_DS,
        [jt("fleet")],
        [STATUS_OVERRIDE, *unit_overrides(columns), unit_override(["last_seen"], "dateTimeFromNow")],
    )


def json_fleet() -> Board:
    fleet = Board()
    fleet.add(json_fleet_table(), width=24, height=9)
    for m in FLEET_PER_HOST:
        fleet.add(json_chart(f"{m.title} per host", m))
    m, title = WORST_MOUNT[0]  # space only: the GPU mean takes the other half of the row
    fleet.add(json_chart(title, m, aggregation="max"))
    fleet.add(json_chart(GPU_PERCENT.title, GPU_PERCENT))
    return fleet


def json_host() -> Board:
    host = Board()
    for m in HOST_PEAKS:
        host.add(timeseries(m.title, JSON_DS, [mt(m, "$host", "A"), mt(m, "$host", "B", aggregation="p95")], m.unit))
    host.add(
        timeseries(
            "Root disk and inodes",
            JSON_DS,
            [mt(m, "$host", ref) for m, ref in zip(HOST_ROOT, "AB", strict=True)],
            "percent",
        )
    )
    host.add(json_chart(DOCKER_BYTES.title, DOCKER_BYTES, "$host"))
    for title, unit, group in HOST_GROUPS:
        host.add(timeseries(title, JSON_DS, [mt(m, "$host", "ABCDE"[i]) for i, m in enumerate(group)], unit))
    for m in HOST_SINGLE:
        host.add(json_chart(m.title, m, "$host"))
    for m in HOST_PER_KEY:
        host.add(json_chart(chart_title(m), m, "$host"))
    host.add(
        table_panel("Over the range: count, min, max, avg, p95", JSON_DS, [jt("stats", "$host")]),
        width=24,
        height=9,
    )
    return host


def json_alerts() -> Board:
    alerts = Board()
    alerts.add(alert_history_table("Alert history"), width=24, height=9)
    for m in ALERT_MAXIMA:
        alerts.add(json_chart(chart_title(m), m, "$host", aggregation="max"))
    return alerts


def json_sets() -> dict[str, dict[str, Any]]:
    return {
        "json-api/fleet-overview.json": dashboard(
            "statusmon-fleet",
            "Status Monitor: fleet overview",
            json_fleet(),
            [ADHOC_JSON],
            ["json-api"],
            [alert_annotation("")],
        ),
        "json-api/host-detail.json": dashboard(
            "statusmon-host",
            "Status Monitor: host detail",
            json_host(),
            [json_host_variable(False)],
            ["json-api"],
            [alert_annotation("$host")],
        ),
        "json-api/alerts.json": dashboard(
            "statusmon-alerts",
            "Status Monitor: alerts",
            json_alerts(),
            [json_host_variable(True)],
            ["json-api"],
            [alert_annotation("$host")],
            time_from="now-7d",
        ),
    }


# -- InfluxDB (InfluxQL) --------------------------------------------------


def iq(query: str, ref: str = "A", alias: str = "", fmt: str = "time_series") -> dict[str, Any]:
    t: dict[str, Any] = {
        "refId": ref,
        "datasource": INFLUX_DS,
        "query": query,
        "rawQuery": True,
        "resultFormat": fmt,
    }
    if alias:
        t["alias"] = alias
    return t


HOST = '"host" =~ /^$host$/'
IN_HOST = HOST + " AND "


def series_q(fn: str, field: str, measurement: str, where: str, by: str = "") -> str:
    group = "time($__interval)" + (f', "{by}"' if by else "")
    return f'SELECT {fn}("{field}") FROM "{measurement}" WHERE {where}$timeFilter GROUP BY {group} fill(none)'


def metric_q(fn: str, m: Metric, where: str = "", by: str = "") -> str:
    """``fn`` of one catalogue metric per interval: its family is the measurement it is stored in."""
    return series_q(fn, m.name, m.family, where, by)


# The history tiers (README "History tiers"): retention policy "minute" or "hour" (picked by $tier), the raw
# measurements' names, one row per bucket with tags client_id, metric (and mount or gpu) and fields count, sum,
# min, max. The average is sum(sum) / sum(count) and the maximum max of max: never a mean of means. The rows have
# no host tag: $client is the host's client id, read from the raw samples' tags.
TIER_FN = {"avg": 'sum("sum") / sum("count")', "max": 'max("max")', "min": 'min("min")', "count": 'sum("count")'}
CLIENT = '"client_id" =~ /^$client$/'


def tier_q(fn: str, m: Metric, by: tuple[str, ...] = (), client: bool = True) -> str:
    """``fn`` (avg, max, min, count) of one catalogue metric over the $tier tier's buckets, per interval."""
    where = f"\"metric\" = '{m.name}' AND " + (f"{CLIENT} AND " if client else "")
    group = ", ".join(["time($__interval)", *(f'"{b}"' for b in by)])
    return (f'SELECT {TIER_FN[fn]} AS "{fn}" FROM "$tier"."{m.family}" WHERE {where}$timeFilter '
            f"GROUP BY {group} fill(none)")


def tier_variable() -> dict[str, Any]:
    return {
        "name": "tier",
        "label": "History tier (long ranges)",
        "type": "custom",
        "query": "hour,minute",
        "current": {"text": "hour", "value": "hour"},
        "options": [{"text": t, "value": t, "selected": t == "hour"} for t in ("hour", "minute")],
        "multi": False,
        "includeAll": False,
    }


def client_variable(multi: bool) -> dict[str, Any]:
    """The client ids of the hosts in $host (the tiers' rows carry the id, not the hostname); hidden."""
    q = 'SHOW TAG VALUES FROM "system" WITH KEY = "client_id" WHERE "host" =~ /^$host$/'
    return {
        "name": "client",
        "label": "Client id",
        "type": "query",
        "datasource": INFLUX_DS,
        "query": q,
        "definition": q,
        "refresh": 1,
        "hide": 2,
        "multi": multi,
        "includeAll": multi,
        "sort": 1,
        "current": {"text": "All", "value": "$__all"} if multi else {},
        "options": [],
    }


def tier_title(title: str) -> str:
    return f"{title}: $tier buckets (30d, 90d, 1y)"


def influx_host_variable(multi: bool) -> dict[str, Any]:
    q = 'SHOW TAG VALUES FROM "system" WITH KEY = "host"'
    return {
        "name": "host",
        "label": "Host",
        "type": "query",
        "datasource": INFLUX_DS,
        "query": q,
        "definition": q,
        "refresh": 1,
        "multi": multi,
        "includeAll": multi,
        "sort": 1,
        "current": {},
        "options": [],
    }


def influx_fleet_table() -> dict[str, Any]:
    last = ", ".join(f'last("{m.name}") AS "{m.name}"' for m in SYSTEM_METRICS)
    return table_panel(
        "Hosts: latest values in the range",
        INFLUX_DS,
        [iq(f'SELECT {last} FROM "system" WHERE $timeFilter GROUP BY "host"', fmt="table")],
        unit_overrides([(m.name, m.unit) for m in SYSTEM_METRICS]),
    )


def influx_fleet() -> Board:
    fleet = Board()
    fleet.add(influx_fleet_table(), width=24, height=9)
    for m in FLEET_PER_HOST:
        fleet.add(
            timeseries(
                f"{m.title} per host", INFLUX_DS, [iq(metric_q("mean", m, by="host"), alias="$tag_host")], m.unit
            )
        )
    for m, title in WORST_MOUNT:
        fleet.add(timeseries(title, INFLUX_DS, [iq(metric_q("max", m, by="host"), alias="$tag_host")], m.unit))
    for m in FLEET_PER_HOST:
        fleet.add(timeseries(tier_title(f"{m.title} per client (avg)"), INFLUX_DS,
                             [iq(tier_q("avg", m, ("client_id",), client=False), alias="$tag_client_id")], m.unit))
    for m, title in WORST_MOUNT:
        fleet.add(timeseries(tier_title(title.replace("per host", "per client")), INFLUX_DS,
                             [iq(tier_q("max", m, ("client_id",), client=False), alias="$tag_client_id")], m.unit))
    return fleet


def influx_per_key_chart(m: Metric) -> dict[str, Any]:
    """One line per mount or GPU of the host."""
    key = FAMILY_KEY[m.family]
    alias = "GPU $tag_gpu" if m.family == "gpu" else f"$tag_{key}"
    return timeseries(chart_title(m), INFLUX_DS, [iq(metric_q("mean", m, IN_HOST, key or ""), alias=alias)], m.unit)


def stats_columns(m: Metric, count: bool) -> str:
    """min, max, avg and p95 of a system metric over the range (and the sample count), prefixed cpu_, ram_..."""
    prefix = m.name.split("_")[0]
    fns = ((("count", "count"),) if count else ()) + (("min", "min"), ("max", "max"), ("mean", "avg"))
    return ", ".join(
        [f'{fn}("{m.name}") AS "{prefix}_{name}"' for fn, name in fns]
        + [f'percentile("{m.name}", 95) AS "{prefix}_p95"']
    )


def influx_stats_table() -> dict[str, Any]:
    stats = ", ".join(stats_columns(m, count=i == 0) for i, m in enumerate(HOST_PEAKS))
    return table_panel(
        "Over the range: CPU and memory min, max, avg, p95",
        INFLUX_DS,
        [iq(f'SELECT {stats} FROM "system" WHERE {HOST} AND $timeFilter', fmt="table")],
    )


def influx_host() -> Board:
    host = Board()
    for m in HOST_PEAKS:
        host.add(
            timeseries(
                m.title,
                INFLUX_DS,
                [iq(metric_q("mean", m, IN_HOST), "A", "mean"), iq(metric_q("max", m, IN_HOST), "B", "max")],
                m.unit,
            )
        )
    host.add(
        timeseries(
            "Root disk and inodes",
            INFLUX_DS,
            [iq(metric_q("mean", m, IN_HOST), ref, m.name) for m, ref in zip(HOST_ROOT, "AB", strict=True)],
            "percent",
        )
    )
    host.add(
        timeseries(
            DOCKER_BYTES.title,
            INFLUX_DS,
            [iq(metric_q("mean", DOCKER_BYTES, IN_HOST), alias=DOCKER_BYTES.name)],
            DOCKER_BYTES.unit,
        )
    )
    for title, unit, group in HOST_GROUPS:
        host.add(timeseries(title, INFLUX_DS, [iq(metric_q("mean", m, IN_HOST), "ABCDE"[i], m.name)
                                               for i, m in enumerate(group)], unit))
    for m in HOST_SINGLE:
        host.add(timeseries(m.title, INFLUX_DS, [iq(metric_q("mean", m, IN_HOST), alias=m.name)], m.unit))
    for m in HOST_PER_KEY:
        host.add(influx_per_key_chart(m))
    host.add(influx_stats_table(), width=24, height=5)
    for m in HOST_PEAKS:
        host.add(timeseries(tier_title(m.title), INFLUX_DS,
                            [iq(tier_q(fn, m), ref, fn) for fn, ref in (("avg", "A"), ("max", "B"), ("min", "C"))],
                            m.unit))
    host.add(timeseries(tier_title("Root disk and inodes (max)"), INFLUX_DS,
                        [iq(tier_q("max", m), ref, m.name) for m, ref in zip(HOST_ROOT, "AB", strict=True)],
                        "percent"))
    for m in TIER_PER_KEY:
        key = FAMILY_KEY[m.family] or ""
        alias = "GPU $tag_gpu" if m.family == "gpu" else f"$tag_{key}"
        fn = "avg" if m.family == "gpu" else "max"
        host.add(timeseries(tier_title(f"{chart_title(m)} ({fn})"), INFLUX_DS,
                            [iq(tier_q(fn, m, (key,)), alias=alias)], m.unit))
    host.add(influx_tier_stats_table(), width=24, height=5)
    return host


# host detail: the per-mount and per-GPU series that have tiers (flagged ``rollup`` in the catalogue)
TIER_PER_KEY = (MOUNT_USED_PERCENT, MOUNT_INODES_PERCENT, GPU_UTIL_PERCENT, GPU_MEM_PERCENT, GPU_TEMP_C, GPU_POWER_W)


def influx_tier_stats_table() -> dict[str, Any]:
    """count, min, max and avg of CPU and memory over the range from the $tier tier (one query per metric: a
    tier row names its metric in a tag). p95 needs the sketches, which InfluxQL cannot merge: the JSON API has it."""
    targets = []
    for m, ref in zip(HOST_PEAKS, "AB", strict=True):
        select = ", ".join(f'{TIER_FN[fn]} AS "{fn}"' for fn in ("count", "min", "max", "avg"))
        q = (f'SELECT {select} FROM "$tier"."{m.family}" WHERE "metric" = \'{m.name}\' AND {CLIENT} '
             f"AND $timeFilter")
        targets.append(iq(q, ref, m.name, fmt="table"))
    return table_panel(tier_title("Over the range: CPU and memory count, min, max, avg"), INFLUX_DS, targets)


def influx_maximum_chart(m: Metric) -> dict[str, Any]:
    """The per-interval maximum of each series of the hosts in $host: what an alert rule would have seen."""
    key = FAMILY_KEY[m.family]
    alias = f"$tag_host $tag_{key}" if key else "$tag_host"
    by = f', "{key}"' if key else ""
    q = (
        f'SELECT max("{m.name}") FROM "{m.family}" WHERE {HOST} AND $timeFilter '
        f'GROUP BY time($__interval), "host"{by} fill(none)'
    )
    return timeseries(f"{chart_title(m)} (max)", INFLUX_DS, [iq(q, alias=alias)], m.unit)


def influx_alerts() -> Board:
    alerts = Board()
    alerts.add(alert_history_table("Alert history (from the JSON API)"), width=24, height=9)
    for m in ALERT_MAXIMA:
        alerts.add(influx_maximum_chart(m))
    for m in ALERT_MAXIMA:
        key = FAMILY_KEY[m.family]
        alias = f"$tag_client_id $tag_{key}" if key else "$tag_client_id"
        q = tier_q("max", m, ("client_id", key) if key else ("client_id",))
        alerts.add(timeseries(tier_title(f"{chart_title(m)} (max)"), INFLUX_DS, [iq(q, alias=alias)], m.unit))
    return alerts


def influx_sets() -> dict[str, dict[str, Any]]:
    return {
        "influxdb/fleet-overview.json": dashboard(
            "statusmon-influx-fleet",
            "Status Monitor (InfluxDB): fleet overview",
            influx_fleet(),
            [tier_variable()],
            ["influxdb"],
            [alert_annotation("")],
        ),
        "influxdb/host-detail.json": dashboard(
            "statusmon-influx-host",
            "Status Monitor (InfluxDB): host detail",
            influx_host(),
            [influx_host_variable(False), client_variable(False), tier_variable()],
            ["influxdb"],
            [alert_annotation("$host")],
        ),
        "influxdb/alerts.json": dashboard(
            "statusmon-influx-alerts",
            "Status Monitor (InfluxDB): alerts",
            influx_alerts(),
            [influx_host_variable(True), client_variable(True), tier_variable()],
            ["influxdb"],
            [alert_annotation("$host")],
            time_from="now-7d",
        ),
    }


def render() -> dict[str, str]:
    return {name: json.dumps(d, indent=2) + "\n" for name, d in {**json_sets(), **influx_sets()}.items()}


def main() -> int:
    for name, text in render().items():
        path = OUT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path.relative_to(HERE)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
