"""/api/alerts: the alert history, newest first; what fires now; the thresholds of a client (admin or a
read-only API token)."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from api.auth import readable
from api.errors import BadRequest
from api.state import current_state
from api.views.clients import client_or_404
from statusmon.meta.active_alerts import ActiveAlerts, load_rules, series_of, thresholds
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


STATES = {"firing": True, "active": True, "resolved": False}


@bp.get("/api/alerts")
@readable
def list_alerts() -> ResponseReturnValue:
    """Incidents, newest first: ``?client_id=``, ``?host=`` (hostname or client id), ``?metric=``, ``?rule=``,
    ``?state=firing|resolved`` (or ``?active=true|false``), ``?from=&to=`` (epoch seconds: incidents firing at
    some time in between), ``?limit=`` (<= 1000), ``?before=<id>`` (the previous page's ``next_before``)."""
    args = request.args
    active = ACTIVE.get(args.get("active", "").lower())  # anything else: open and resolved alike
    state = args.get("state", "")
    if state:
        if state not in STATES:
            raise BadRequest("state must be firing or resolved")
        active = STATES[state]
    metric = args.get("metric") or None
    if metric is not None and metric not in ALERT_METRIC_TYPES and metric != "offline":
        raise BadRequest(f"unknown metric {metric!r}")
    before = _int_arg("before", None, 1, 2 ** 62)
    limit = _int_arg("limit", 100, 1, 1000)
    start = _int_arg("from", None, 0, 2 ** 40)
    end = _int_arg("to", None, 0, 2 ** 40)
    assert limit is not None
    incidents = AlertHistory(current_state().meta).page(
        args.get("client_id"), active, before, limit, host=args.get("host") or None, metric_type=metric,
        rule_key=args.get("rule") or None, start=start, end=end)
    alerts = [history_json(i) for i in incidents]
    return jsonify({"alerts": alerts, "next_before": alerts[-1]["id"] if len(alerts) == limit else None})


@bp.get("/api/alerts/active")
@readable
def active_alerts() -> ResponseReturnValue:
    """Alerts pending or firing now, firing first (``?client_id=``): see ``statusmon.meta.active_alerts``."""
    state = current_state()
    alerts = ActiveAlerts(state.meta).current(request.args.get("client_id") or None, state.global_settings.all())
    firing = sum(1 for a in alerts if a["status"] == "firing")
    return jsonify({"alerts": alerts, "firing": firing, "pending": len(alerts) - firing, "now": int(time.time())})


@bp.get("/api/clients/<client_id>/thresholds")
@readable
def client_thresholds(client_id: str) -> ResponseReturnValue:
    """The enabled rules that apply to each series of the client (as of its latest sample): chart lines."""
    state = current_state()
    client = client_or_404(state.clients, client_id)
    ruleset, _ = load_rules(state.meta, state.global_settings.all())
    return jsonify({"client_id": client.id,
                    "thresholds": thresholds(ruleset, client.id, series_of(client.last_sample))})
