"""History of one client: GET /api/stats/<id> (min/max/avg/p95/count) and GET /api/metrics/<id> (chart series)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from api.auth import readable
from api.state import current_state
from api.views.clients import client_or_404
from api.views.series import requested_fields, series_query
from api.views.timerange import time_range

bp = Blueprint("data", __name__)


@bp.get("/api/stats/<client_id>")
@readable
def stats(client_id: str) -> ResponseReturnValue:
    client_or_404(current_state().clients, client_id)
    start, end, name = time_range(request.args)
    fields = requested_fields(request.args, "system")
    result = current_state().stats.stats(client_id, start, end, fields)
    return jsonify({
        "client_id": client_id, "from": start, "to": end, "range": name,
        "exact": result.exact, "p95_max_error": result.p95_error, "sources": result.seconds_by_source,
        "metrics": {f: s.as_dict() for f, s in result.stats.items()},
    })


@bp.get("/api/metrics/<client_id>")
@readable
def metrics(client_id: str) -> ResponseReturnValue:
    client_or_404(current_state().clients, client_id)
    start, end, name = time_range(request.args)
    query = series_query(request.args, client_id, start, end)
    state = current_state()
    found, resolution = query.read(state.store, state.rollup_progress.all())
    body: dict[str, Any] = {"client_id": client_id, "family": query.family, "from": start, "to": end,
                            "range": name, "step": query.step, "resolution": resolution}
    if query.family == "system":
        body.update(query.dense(found.get("")))
    else:
        body["series"] = {key: query.dense(s) for key, s in sorted(found.items())}
    return jsonify(body)
