"""What Grafana can ask for: one target per metric of the catalogue (statusmon.metrics) plus three tables.

Target names: system metrics by their own name (``cpu_percent``), per-mount and per-GPU metrics prefixed with
their family (``disk.used_percent``, ``gpu.temp_c``); tables ``stats`` (count/min/max/avg/p95 over the range,
as ``GET /api/stats``), ``fleet`` (every host, its status and latest values) and ``alerts`` (alert history,
for annotations).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from statusmon.metrics import ALL_METRICS, SYSTEM_METRIC_NAMES, Metric

AGGREGATIONS = ("mean", "min", "max", "p95")
TABLE_TARGETS = ("stats", "fleet", "alerts")


@dataclass(frozen=True)
class TimeSeriesTarget:
    name: str
    metric: Metric

    @property
    def family(self) -> str:
        return self.metric.family


def target_name(m: Metric) -> str:
    return m.name if m.family == "system" else f"{m.family}.{m.name}"


SERIES_TARGETS: dict[str, TimeSeriesTarget] = {target_name(m): TimeSeriesTarget(target_name(m), m)
                                               for m in ALL_METRICS}

_TABLE_LABELS = {
    "stats": "Table: count, min, max, avg and p95 over the range (as GET /api/stats)",
    "fleet": "Table: every host, online state, last seen and latest values",
    "alerts": "Table: alert history (use it as an annotation query)",
}


def _select(name: str, label: str, multi: bool = False, options: list[dict[str, str]] | None = None,
            placeholder: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "label": label, "type": "multi-select" if multi else "select",
                           "width": 30}
    if placeholder:
        out["placeholder"] = placeholder
    if options is not None:  # without options, the plugin asks /metric-payload-options when the list opens
        out["options"] = options
    return out


def _client_payload() -> dict[str, Any]:
    return _select("client", "Hosts", multi=True, placeholder="every host (or a $host variable)")


def _labels_payload() -> dict[str, Any]:
    """A label selector narrowing the hosts: "env=prod,role=gpu", "env=$env" (a multi-value is understood)."""
    return {"name": "labels", "label": "Labels", "type": "input", "width": 30,
            "placeholder": "env=prod,role=gpu (or env=$env)"}


def payloads_of(target: str) -> list[dict[str, Any]]:
    """The payload options the plugin's builder shows for ``target``."""
    if target in SERIES_TARGETS:
        family = SERIES_TARGETS[target].family
        out = [_client_payload(), _labels_payload(),
               _select("aggregation", "Aggregation per interval", options=aggregation_options(),
                       placeholder="mean")]
        if family == "disk":
            out.append(_select("mount", "Mounts", multi=True, placeholder="every mount"))
        if family == "gpu":
            out.append(_select("gpu", "GPUs", multi=True, placeholder="every GPU"))
        return out
    if target == "stats":
        return [_client_payload(), _labels_payload(),
                _select("metrics", "Metrics", multi=True, placeholder="every system metric",
                        options=[{"label": n, "value": n} for n in SYSTEM_METRIC_NAMES])]
    return [_client_payload(), _labels_payload()]


def aggregation_options() -> list[dict[str, str]]:
    labels = {"mean": "mean (as /api/metrics values)", "min": "min", "max": "max (as /api/metrics max)",
              "p95": "p95 (nearest rank, as InfluxQL)"}
    return [{"label": labels[a], "value": a} for a in AGGREGATIONS]


def metric_list() -> list[dict[str, Any]]:
    """POST /metrics: every target with its label and payload options."""
    out: list[dict[str, Any]] = []
    for name, t in SERIES_TARGETS.items():
        m = t.metric
        out.append({"label": f"{name}: {m.description} ({m.unit})", "value": name,
                    "payloads": payloads_of(name)})
    for name in TABLE_TARGETS:
        out.append({"label": _TABLE_LABELS[name], "value": name, "payloads": payloads_of(name)})
    return out


def all_target_names() -> list[str]:
    return list(SERIES_TARGETS) + list(TABLE_TARGETS)
