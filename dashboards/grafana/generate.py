"""Writes the Grafana dashboards in dashboards/grafana/dashboards/ (run it after changing this file).

Two sets with the same three dashboards (fleet overview, host detail, alerts): one on the Status Monitor JSON
API (simpod-json-datasource, uid ``statusmon-json``), one on InfluxDB directly in InfluxQL (uid
``statusmon-influxdb``). Alert history lives in the API's metadata database, so the alert annotations of both
sets come from the JSON API. tests/grafana/test_dashboards.py checks the files are what this writes.

    python dashboards/grafana/generate.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "dashboards"
SCHEMA_VERSION = 39
JSON_DS = {"type": "simpod-json-datasource", "uid": "statusmon-json"}
INFLUX_DS = {"type": "influxdb", "uid": "statusmon-influxdb"}
UNITS = {"percent": "percent", "bytes": "bytes", "celsius": "celsius", "watts": "watt", "count": "short"}


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


# The per-host percent charts of both fleet dashboards (JSON API and InfluxDB): metric, panel title.
FLEET_PERCENT_PANELS = (
    ("cpu_percent", "CPU"),
    ("ram_percent", "Memory"),
    ("disk_percent", "Root disk used"),
    ("inode_percent", "Root inodes used"),
)


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
        "annotations": {"list": [builtin, *(annotations or [])]},
        "templating": {"list": variables},
        "panels": board.panels,
        "links": [
            {"type": "dashboards", "tags": ["statusmon"], "asDropdown": True, "title": "Status Monitor"}
        ],
    }


def alert_annotation(client: str) -> dict[str, Any]:
    """Alert history from the JSON API: a frame with time, timeEnd, title, text, tags."""
    return {
        "name": "Alerts",
        "datasource": JSON_DS,
        "enable": True,
        "iconColor": "red",
        "target": {"refId": "Anno", "target": "alerts", "payload": {"client": client}},
    }


# -- JSON API ------------------------------------------------------------


def jt(target: str, client: str = "", ref: str = "A", **payload: str) -> dict[str, Any]:
    p: dict[str, str] = {"client": client} if client else {}
    p.update(payload)
    return {"refId": ref, "datasource": JSON_DS, "target": target, "payload": p}


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


def json_sets() -> dict[str, dict[str, Any]]:
    fleet = Board()
    fleet.add(
        table_panel(
            "Hosts: status and latest values",
            JSON_DS,
            [jt("fleet")],
            [
                STATUS_OVERRIDE,
                unit_override(
                    [
                        "cpu_percent",
                        "ram_percent",
                        "disk_percent",
                        "inode_percent",
                        "gpu_percent",
                        "max_mount_used_percent",
                        "max_mount_inodes_percent",
                    ],
                    "percent",
                ),
                unit_override(["docker_bytes"], "bytes"),
                unit_override(["max_gpu_temp_c"], "celsius"),
                unit_override(["last_seen"], "dateTimeFromNow"),
            ],
        ),
        width=24,
        height=9,
    )
    for name, title in FLEET_PERCENT_PANELS:
        fleet.add(timeseries(f"{title} per host", JSON_DS, [jt(name)], "percent"))
    fleet.add(
        timeseries(
            "Worst mount used per host (max)",
            JSON_DS,
            [jt("disk.used_percent", aggregation="max")],
            "percent",
        )
    )
    fleet.add(timeseries("GPU utilisation (mean of GPUs)", JSON_DS, [jt("gpu_percent")], "percent"))

    host = Board()
    for name, title, unit in (("cpu_percent", "CPU", "percent"), ("ram_percent", "Memory", "percent")):
        host.add(
            timeseries(
                title, JSON_DS, [jt(name, "$host", "A"), jt(name, "$host", "B", aggregation="p95")], unit
            )
        )
    host.add(
        timeseries(
            "Root disk and inodes",
            JSON_DS,
            [jt("disk_percent", "$host", "A"), jt("inode_percent", "$host", "B")],
            "percent",
        )
    )
    host.add(timeseries("Docker disk usage", JSON_DS, [jt("docker_bytes", "$host")], "bytes"))
    host.add(timeseries("Disk used per mount", JSON_DS, [jt("disk.used_percent", "$host")], "percent"))
    host.add(timeseries("Inodes used per mount", JSON_DS, [jt("disk.inodes_percent", "$host")], "percent"))
    host.add(timeseries("GPU utilisation", JSON_DS, [jt("gpu.util_percent", "$host")], "percent"))
    host.add(timeseries("GPU memory used", JSON_DS, [jt("gpu.mem_percent", "$host")], "percent"))
    host.add(timeseries("GPU temperature", JSON_DS, [jt("gpu.temp_c", "$host")], "celsius"))
    host.add(timeseries("GPU power", JSON_DS, [jt("gpu.power_w", "$host")], "watts"))
    host.add(
        table_panel("Over the range: count, min, max, avg, p95", JSON_DS, [jt("stats", "$host")]),
        width=24,
        height=9,
    )

    alerts = Board()
    alerts.add(
        table_panel(
            "Alert history",
            JSON_DS,
            [jt("alerts", "$host")],
            [unit_override(["time", "timeEnd"], "dateTimeAsIso")],
        ),
        width=24,
        height=9,
    )
    alerts.add(timeseries("CPU", JSON_DS, [jt("cpu_percent", "$host", aggregation="max")], "percent"))
    alerts.add(timeseries("Memory", JSON_DS, [jt("ram_percent", "$host", aggregation="max")], "percent"))
    alerts.add(
        timeseries(
            "Disk used per mount", JSON_DS, [jt("disk.used_percent", "$host", aggregation="max")], "percent"
        )
    )
    alerts.add(
        timeseries(
            "Inodes used per mount",
            JSON_DS,
            [jt("disk.inodes_percent", "$host", aggregation="max")],
            "percent",
        )
    )
    alerts.add(
        timeseries("GPU temperature", JSON_DS, [jt("gpu.temp_c", "$host", aggregation="max")], "celsius")
    )
    alerts.add(
        timeseries("GPU memory used", JSON_DS, [jt("gpu.mem_percent", "$host", aggregation="max")], "percent")
    )
    return {
        "json-api/fleet-overview.json": dashboard(
            "statusmon-fleet",
            "Status Monitor: fleet overview",
            fleet,
            [ADHOC_JSON],
            ["json-api"],
            [alert_annotation("")],
        ),
        "json-api/host-detail.json": dashboard(
            "statusmon-host",
            "Status Monitor: host detail",
            host,
            [json_host_variable(False)],
            ["json-api"],
            [alert_annotation("$host")],
        ),
        "json-api/alerts.json": dashboard(
            "statusmon-alerts",
            "Status Monitor: alerts",
            alerts,
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


def series_q(fn: str, field: str, measurement: str, where: str, by: str = "") -> str:
    group = "time($__interval)" + (f', "{by}"' if by else "")
    return f'SELECT {fn}("{field}") FROM "{measurement}" WHERE {where}$timeFilter GROUP BY {group} fill(none)'


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


def influx_sets() -> dict[str, dict[str, Any]]:
    fleet = Board()
    last = ", ".join(
        f'last("{f}") AS "{f}"'
        for f in (
            "cpu_percent",
            "ram_percent",
            "disk_percent",
            "inode_percent",
            "docker_bytes",
            "gpu_percent",
        )
    )
    fleet.add(
        table_panel(
            "Hosts: latest values in the range",
            INFLUX_DS,
            [iq(f'SELECT {last} FROM "system" WHERE $timeFilter GROUP BY "host"', fmt="table")],
            [
                unit_override(
                    ["cpu_percent", "ram_percent", "disk_percent", "inode_percent", "gpu_percent"], "percent"
                ),
                unit_override(["docker_bytes"], "bytes"),
            ],
        ),
        width=24,
        height=9,
    )
    for field, title in FLEET_PERCENT_PANELS:
        fleet.add(
            timeseries(
                f"{title} per host",
                INFLUX_DS,
                [iq(series_q("mean", field, "system", "", "host"), alias="$tag_host")],
                "percent",
            )
        )
    fleet.add(
        timeseries(
            "Worst mount used per host (max)",
            INFLUX_DS,
            [iq(series_q("max", "used_percent", "disk", "", "host"), alias="$tag_host")],
            "percent",
        )
    )
    fleet.add(
        timeseries(
            "Worst mount inodes per host (max)",
            INFLUX_DS,
            [iq(series_q("max", "inodes_percent", "disk", "", "host"), alias="$tag_host")],
            "percent",
        )
    )

    host = Board()
    w = HOST + " AND "
    for field, title in (("cpu_percent", "CPU"), ("ram_percent", "Memory")):
        host.add(
            timeseries(
                title,
                INFLUX_DS,
                [
                    iq(series_q("mean", field, "system", w), "A", "mean"),
                    iq(series_q("max", field, "system", w), "B", "max"),
                ],
                "percent",
            )
        )
    host.add(
        timeseries(
            "Root disk and inodes",
            INFLUX_DS,
            [
                iq(series_q("mean", "disk_percent", "system", w), "A", "disk_percent"),
                iq(series_q("mean", "inode_percent", "system", w), "B", "inode_percent"),
            ],
            "percent",
        )
    )
    host.add(
        timeseries(
            "Docker disk usage",
            INFLUX_DS,
            [iq(series_q("mean", "docker_bytes", "system", w), alias="docker_bytes")],
            "bytes",
        )
    )
    for field, title in (
        ("used_percent", "Disk used per mount"),
        ("inodes_percent", "Inodes used per mount"),
    ):
        host.add(
            timeseries(
                title,
                INFLUX_DS,
                [iq(series_q("mean", field, "disk", w, "mount"), alias="$tag_mount")],
                "percent",
            )
        )
    for field, title, unit in (
        ("util_percent", "GPU utilisation", "percent"),
        ("mem_percent", "GPU memory used", "percent"),
        ("temp_c", "GPU temperature", "celsius"),
        ("power_w", "GPU power", "watts"),
    ):
        host.add(
            timeseries(
                title, INFLUX_DS, [iq(series_q("mean", field, "gpu", w, "gpu"), alias="GPU $tag_gpu")], unit
            )
        )
    stats = (
        ", ".join(
            f'{fn}("cpu_percent") AS "cpu_{name}"'
            for fn, name in (("count", "count"), ("min", "min"), ("max", "max"), ("mean", "avg"))
        )
        + ', percentile("cpu_percent", 95) AS "cpu_p95", '
        + ", ".join(
            f'{fn}("ram_percent") AS "ram_{name}"'
            for fn, name in (("min", "min"), ("max", "max"), ("mean", "avg"))
        )
        + ', percentile("ram_percent", 95) AS "ram_p95"'
    )
    host.add(
        table_panel(
            "Over the range: CPU and memory min, max, avg, p95",
            INFLUX_DS,
            [iq(f'SELECT {stats} FROM "system" WHERE {HOST} AND $timeFilter', fmt="table")],
        ),
        width=24,
        height=5,
    )

    alerts = Board()
    alerts.add(
        table_panel(
            "Alert history (from the JSON API)",
            JSON_DS,
            [jt("alerts", "$host")],
            [unit_override(["time", "timeEnd"], "dateTimeAsIso")],
        ),
        width=24,
        height=9,
    )
    for field, measurement, by, title, unit in (
        ("cpu_percent", "system", "host", "CPU (max)", "percent"),
        ("ram_percent", "system", "host", "Memory (max)", "percent"),
        ("used_percent", "disk", "mount", "Disk used per mount (max)", "percent"),
        ("inodes_percent", "disk", "mount", "Inodes used per mount (max)", "percent"),
        ("temp_c", "gpu", "gpu", "GPU temperature (max)", "celsius"),
        ("mem_percent", "gpu", "gpu", "GPU memory used (max)", "percent"),
    ):
        alias = "$tag_host" if by == "host" else f"$tag_host $tag_{by}"
        extra_by = "" if by == "host" else f', "{by}"'
        q = (
            f'SELECT max("{field}") FROM "{measurement}" WHERE {HOST} AND $timeFilter '
            f'GROUP BY time($__interval), "host"{extra_by} fill(none)'
        )
        alerts.add(timeseries(title, INFLUX_DS, [iq(q, alias=alias)], unit))
    return {
        "influxdb/fleet-overview.json": dashboard(
            "statusmon-influx-fleet",
            "Status Monitor (InfluxDB): fleet overview",
            fleet,
            [],
            ["influxdb"],
            [alert_annotation("")],
        ),
        "influxdb/host-detail.json": dashboard(
            "statusmon-influx-host",
            "Status Monitor (InfluxDB): host detail",
            host,
            [influx_host_variable(False)],
            ["influxdb"],
            [alert_annotation("$host")],
        ),
        "influxdb/alerts.json": dashboard(
            "statusmon-influx-alerts",
            "Status Monitor (InfluxDB): alerts",
            alerts,
            [influx_host_variable(True)],
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
