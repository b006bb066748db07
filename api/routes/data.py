"""History of one client: GET /api/stats/<id> (min/max/avg/p95/count) and GET /api/metrics/<id> (chart series)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from api.auth import readable
from api.errors import BadRequest
from api.routes.clients import client_or_404
from api.routes.timerange import time_range
from api.state import current_state
from api.store.base import Series, Value
from statusmon.metrics import FAMILY_FIELDS

bp = Blueprint("data", __name__)

# Steps a chart is bucketed into when a range holds more points than it may show.
NICE_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400)
DEFAULT_MAX_POINTS = 11_000  # 7 days of 1-minute buckets fit
RAW_GAP_SECONDS = 10  # raw points further apart than this are a gap: a null is drawn between them


def requested_fields(family: str) -> list[str]:
    allowed = FAMILY_FIELDS[family]
    raw = request.args.get("metrics")
    if not raw:
        return list(allowed)
    names = [n.strip() for n in raw.split(",") if n.strip()]
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise BadRequest(f"unknown metrics for {family}: {', '.join(unknown)}", details={"allowed": allowed})
    return names


@bp.get("/api/stats/<client_id>")
@readable
def stats(client_id: str) -> ResponseReturnValue:
    client_or_404(client_id)
    start, end, name = time_range()
    fields = requested_fields("system")
    result = current_state().stats.stats(client_id, start, end, fields)
    return jsonify({
        "client_id": client_id, "from": start, "to": end, "range": name,
        "exact": result.exact, "p95_max_error": result.p95_error,
        "metrics": {f: s.as_dict() for f, s in result.stats.items()},
    })


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


@bp.get("/api/metrics/<client_id>")
@readable
def metrics(client_id: str) -> ResponseReturnValue:
    client_or_404(client_id)
    start, end, name = time_range()
    family = request.args.get("family", "system")
    if family not in FAMILY_FIELDS:
        raise BadRequest(f"family must be one of {', '.join(FAMILY_FIELDS)}")
    fields = requested_fields(family)
    try:
        requested = int(request.args["step"]) if request.args.get("step") else None
        max_points = int(request.args.get("max_points", DEFAULT_MAX_POINTS))
    except ValueError:
        raise BadRequest("step and max_points must be whole numbers") from None
    if not 10 <= max_points <= 100_000:
        raise BadRequest("max_points must be between 10 and 100000")
    step = choose_step(start, end, requested, max_points)
    found = current_state().store.series(client_id, start, end, step, family, fields)
    body: dict[str, Any] = {"client_id": client_id, "family": family, "from": start, "to": end, "range": name,
                            "step": step}
    if family == "system":
        body.update(dense(found.get(""), start, end, step, fields))
    else:
        body["series"] = {key: dense(s, start, end, step, fields) for key, s in sorted(found.items())}
    return jsonify(body)

