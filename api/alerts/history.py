"""/api/alerts: the alert history, newest first (admin or a read-only API token)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from api.auth import readable
from api.errors import BadRequest
from api.state import current_state
from statusmon.meta.alert_history import AlertHistory, Incident
from statusmon.metrics import ALERT_METRIC_TYPES

bp = Blueprint("alert_history", __name__)

ACTIVE = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def _int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer") from None
    if not low <= value <= high:
        raise BadRequest(f"{name} must be within {low}..{high}")
    return value


def history_json(i: Incident) -> dict[str, Any]:
    family = ALERT_METRIC_TYPES.get(i.metric_type, ("", ""))[0]
    key = i.series_key or None
    return {
        "id": i.id, "client_id": i.client_id, "hostname": i.hostname,
        "rule": i.rule_key, "rule_id": i.rule_id, "metric_type": i.metric_type,
        "mount": key if family == "disk" else None, "gpu": int(key) if family == "gpu" and key else None,
        "threshold": i.threshold, "direction": i.direction, "duration_sec": i.duration_sec,
        "value": i.value, "started_at": i.started_at, "fired_at": i.fired_at,
        "resolved_at": i.resolved_at, "resolved_value": i.resolved_value, "resolution": i.resolution,
        "active": i.active, "silenced": i.silenced,
    }


@bp.get("/api/alerts")
@readable
def list_alerts() -> ResponseReturnValue:
    """Incidents, newest first: ``?client_id=``, ``?active=true``, ``?limit=`` (<= 1000), ``?before=<id>``."""
    active = ACTIVE.get(request.args.get("active", "").lower())  # anything else: open and resolved alike
    before = _int_arg("before", None, 1, 2 ** 62)
    limit = _int_arg("limit", 100, 1, 1000)
    assert limit is not None
    incidents = AlertHistory(current_state().meta).page(request.args.get("client_id"), active, before, limit)
    alerts = [history_json(i) for i in incidents]
    return jsonify({"alerts": alerts, "next_before": alerts[-1]["id"] if len(alerts) == limit else None})
