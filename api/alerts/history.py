"""/api/alerts: the alert history, newest first (admin or a read-only API token)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from api.auth import readable
from api.errors import BadRequest
from api.state import current_state
from statusmon.metrics import ALERT_METRIC_TYPES

bp = Blueprint("alert_history", __name__)


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


def history_json(r: Any) -> dict[str, Any]:
    family = ALERT_METRIC_TYPES.get(r["metric_type"], ("", ""))[0]
    key = r["series_key"] or None
    return {
        "id": r["id"], "client_id": r["client_id"], "hostname": r["hostname"],
        "rule": r["rule_key"], "rule_id": r["rule_id"], "metric_type": r["metric_type"],
        "mount": key if family == "disk" else None, "gpu": int(key) if family == "gpu" and key else None,
        "threshold": r["threshold"], "direction": r["direction"], "duration_sec": r["duration_sec"],
        "value": r["value"], "started_at": r["started_at"], "fired_at": r["fired_at"],
        "resolved_at": r["resolved_at"], "resolved_value": r["resolved_value"], "resolution": r["resolution"],
        "active": r["resolved_at"] is None,
    }


@bp.get("/api/alerts")
@readable
def list_alerts() -> ResponseReturnValue:
    """Incidents, newest first: ``?client_id=``, ``?active=true``, ``?limit=`` (<= 1000), ``?before=<id>``."""
    where, params = [], []  # type: list[str], list[Any]
    if request.args.get("client_id"):
        where.append("client_id = ?")
        params.append(request.args["client_id"])
    active = request.args.get("active", "").lower()
    if active in ("1", "true", "yes"):
        where.append("resolved_at IS NULL")
    elif active in ("0", "false", "no"):
        where.append("resolved_at IS NOT NULL")
    before = _int_arg("before", None, 1, 2 ** 62)
    if before is not None:
        where.append("id < ?")
        params.append(before)
    limit = _int_arg("limit", 100, 1, 1000)
    sql = "SELECT * FROM alert_history" + (" WHERE " + " AND ".join(where) if where else "")
    rows = current_state().meta.query(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))
    alerts = [history_json(r) for r in rows]
    return jsonify({"alerts": alerts, "next_before": alerts[-1]["id"] if len(alerts) == limit else None})
