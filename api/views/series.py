"""Chart series: which fields, which step, and columnar buckets with gaps as nulls.

``GET /api/metrics``, the Grafana-style ``/query`` and ``/rows`` all read through here, so the same range and
step give the same numbers on every surface.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from api.errors import BadRequest
from statusmon.metrics import FAMILY_FIELDS
from statusmon.store.base import Series, TimeSeriesStore, Value
from statusmon.store.history import read_series

# Steps a chart is bucketed into when a range holds more points than it may show.
NICE_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400)
DEFAULT_MAX_POINTS = 11_000  # 7 days of 1-minute buckets fit
RAW_GAP_SECONDS = 10  # raw points further apart than this are a gap: a null is drawn between them


def requested_fields(args: Mapping[str, str], family: str) -> list[str]:
    """The ``metrics`` argument (comma-separated fields of ``family``), or every field of it."""
    allowed = FAMILY_FIELDS[family]
    raw = args.get("metrics")
    if not raw:
        return list(allowed)
    names = [n.strip() for n in raw.split(",") if n.strip()]
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise BadRequest(f"unknown metrics for {family}: {', '.join(unknown)}", details={"allowed": allowed})
    return names


def choose_step(start: int, end: int, step: int | None, max_points: int) -> int | None:
    """None (raw points) when the range fits; else the smallest nice step that keeps under max_points."""
    if step is not None:
        if step < 1:
            raise BadRequest("step must be at least 1 second")
        if (end - start) / step > max_points:
            step = None  # too fine for the cap: pick a coarser one below
        else:
            return step
    if end - start <= max_points:
        return None
    for nice in NICE_STEPS:
        if (end - start) / nice <= max_points:
            return nice
    return NICE_STEPS[-1]


def dense(series: Series | None, start: int, end: int, step: int | None, fields: list[str]) -> dict[str, Any]:
    """Columnar JSON for a chart: buckets without data become nulls; raw gaps get one null between points."""
    values: dict[str, list[Value]] = {f: [] for f in fields}
    maxima: dict[str, list[Value]] | None = {f: [] for f in fields} if step else None
    times: list[int] = []
    if step:
        assert maxima is not None
        times = list(range(start // step * step, end, step))
        if series is None:
            for f in fields:
                values[f] = maxima[f] = [None] * len(times)
        elif series.time == times:  # every bucket has data: the columns as they are
            for f in fields:
                values[f] = series.values[f]
                maxima[f] = series.maxima[f] if series.maxima else [None] * len(times)
        else:
            have = {t: i for i, t in enumerate(series.time)}
            at = [have.get(t) for t in times]
            for f in fields:
                col = series.values[f]
                values[f] = [None if i is None else col[i] for i in at]
                top = series.maxima[f] if series.maxima else None
                maxima[f] = [None if i is None or top is None else top[i] for i in at]
    elif series is not None:
        prev = None
        for i, t in enumerate(series.time):
            if prev is not None and t - prev > RAW_GAP_SECONDS:
                times.append(prev + 1)
                for f in fields:
                    values[f].append(None)
            times.append(t)
            for f in fields:
                values[f].append(series.values[f][i])
            prev = t
    return {"time": times, "values": values, "max": maxima}


@dataclass(frozen=True)
class SeriesQuery:
    """One chart request: a client's fields of one family over [start, end) at ``step`` (None: raw points)."""

    client_id: str
    start: int
    end: int
    family: str
    fields: list[str]
    step: int | None

    def read(self, store: TimeSeriesStore, built: Mapping[str, int]) -> tuple[dict[str, Series], str]:
        """The series, one per mount or GPU ("" for the system family), and the resolution they show: from
        the rollup tier the step is made of where it is built (``built``: the downsampler's progress), raw
        samples elsewhere (statusmon.store.history.read_series)."""
        return read_series(store, built, self.client_id, self.start, self.end, self.step, self.family,
                           self.fields)

    def dense(self, series: Series | None) -> dict[str, Any]:
        return dense(series, self.start, self.end, self.step, self.fields)


def series_query(args: Mapping[str, str], client_id: str, start: int, end: int) -> SeriesQuery:
    """``?family=&metrics=&step=&max_points=`` for the range, checked (400 on anything out of bounds)."""
    family = args.get("family", "system")
    if family not in FAMILY_FIELDS:
        raise BadRequest(f"family must be one of {', '.join(FAMILY_FIELDS)}")
    fields = requested_fields(args, family)
    try:
        requested = int(args["step"]) if args.get("step") else None
        max_points = int(args.get("max_points", DEFAULT_MAX_POINTS))
    except ValueError:
        raise BadRequest("step and max_points must be whole numbers") from None
    if not 10 <= max_points <= 100_000:
        raise BadRequest("max_points must be between 10 and 100000")
    return SeriesQuery(client_id, start, end, family, fields, choose_step(start, end, requested, max_points))
