"""Time series for ``POST /query``: the same step choice and the same store reads as ``GET /api/metrics``.

The step comes from ``api.views.series.choose_step`` (Grafana's ``intervalMs`` as the asked step,
``maxDataPoints`` as the cap) and every aggregation from ``statusmon.store.history.read_aggregate``, which makes
the one tier choice ``GET /api/metrics`` makes (``tier_split``): where the step is made of a built tier's buckets
(whole minutes or whole hours), the tier, raw samples after it and for finer steps. So a ``mean`` datapoint is
the ``values`` entry and a ``max`` datapoint the ``max`` entry of ``/api/metrics`` for the same range and step,
by construction, over any range the tiers hold (two years), not only the raw samples' week. ``min`` is the
database's MIN of the buckets' mins there, and ``p95`` the nearest rank from the buckets' merged sketches (within
``p95_max_error``); over raw samples both are exact (nearest rank, ``statusmon.store.percentile``). Empty buckets
are left out: the contract's datapoint is two numbers, and Grafana draws a gap from the missing time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from api.errors import BadRequest
from api.grafana.catalogue import AGGREGATIONS, TimeSeriesTarget
from api.grafana.parse import TimeRange, is_number
from api.grafana.selection import requested_names
from api.views.series import DEFAULT_MAX_POINTS, choose_step, dense
from statusmon.meta.clients import Client
from statusmon.store.base import Series, TimeSeriesStore, Value
from statusmon.store.history import read_aggregate

MIN_POINTS, MAX_POINTS = 10, 100_000  # the bounds GET /api/metrics accepts for max_points


def grafana_step(rng: TimeRange, interval_ms: Any, max_data_points: Any) -> int | None:
    """The bucket step for Grafana's interval and point budget (None: raw points), as /api/metrics picks it.

    Grafana's numbers are clamped rather than refused (a panel should draw, not error): ``maxDataPoints`` to
    the bounds /api/metrics accepts, the interval to whole seconds within the range.
    """
    max_points = DEFAULT_MAX_POINTS
    if is_number(max_data_points) and math.isfinite(max_data_points):
        max_points = int(min(MAX_POINTS, max(MIN_POINTS, max_data_points)))
    requested = None
    if is_number(interval_ms) and math.isfinite(interval_ms) and interval_ms > 0:
        requested = min(max(1, math.ceil(interval_ms / 1000)), max(1, rng.end - rng.start))
    return choose_step(rng.start, rng.end, requested, max_points)


def aggregation_of(payload: dict[str, Any]) -> str:
    agg = payload.get("aggregation", "mean")
    if agg in (None, ""):
        return "mean"
    if agg not in AGGREGATIONS:
        raise BadRequest(f"payload.aggregation must be one of {', '.join(AGGREGATIONS)}")
    return str(agg)


def _keys_wanted(payload: dict[str, Any], family: str) -> set[str] | None:
    name = {"disk": "mount", "gpu": "gpu"}.get(family)
    if name is None:
        return None
    names = requested_names(payload.get(name), f"payload.{name}")
    return set(names) if names is not None else None


def _label(client: Client, target: TimeSeriesTarget, key: str, agg: str) -> str:
    parts = [client.hostname]
    if target.family == "disk":
        parts.append(key)
    elif target.family == "gpu":
        parts.append(f"gpu{key}")
    parts.append(target.metric.name)
    if agg != "mean":
        parts.append(agg)
    return " ".join(parts)


def _datapoints(times: Sequence[int], values: Sequence[Value]) -> list[list[float]]:
    return [[v, t * 1000] for t, v in zip(times, values, strict=True) if v is not None]


def series_results(store: TimeSeriesStore, target: TimeSeriesTarget, payload: dict[str, Any],
                   clients: list[Client], rng: TimeRange, step: int | None,
                   ref_id: str | None, built: Mapping[str, int] | None = None) -> list[dict[str, Any]]:
    agg = aggregation_of(payload)
    wanted = _keys_wanted(payload, target.family)
    if rng.empty:
        return []
    field = target.metric.name
    out: list[dict[str, Any]] = []
    for client in clients:
        found, _ = read_aggregate(store, built or {}, client.id, rng.start, rng.end, step, target.family, [field],
                                  agg)
        if target.family == "system" and "" not in found:
            # One series per host whatever the backend holds (SQLite: null values, InfluxDB: no series).
            found[""] = Series(step=step, values={field: []})
        for key in sorted(found, key=lambda k: (len(k), k) if target.family == "gpu" else (0, k)):
            if wanted is not None and key not in wanted:
                continue
            cols = dense(found[key], rng.start, rng.end, step, [field])
            result: dict[str, Any] = {"target": _label(client, target, key, agg),
                                      "datapoints": _datapoints(cols["time"], cols["values"][field])}
            if ref_id is not None:
                result["refId"] = ref_id
            out.append(result)
    return out
