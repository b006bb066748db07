"""/api/alert-rules (CRUD), /api/alerts (history), /api/alerts/channels and /api/alerts/test.

Admin only (session + CSRF for changes), except the GET routes, which a read-only API token (Grafana) may use.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from alerting.persistence import AlertDB
from alerting.transports import SETTING_OF, HttpClient, TransportError, configured_urls
from alerting.transports.http import HttpPolicy
from api.alerts.schemas import RuleSchema, rule_json
from api.auth import readable
from api.body import json_body
from api.errors import ApiError, BadRequest, NotFound, ValidationFailed
from api.meta.settings import mask_secret
from api.state import current_state
from statusmon.metrics import ALERT_METRIC_TYPES

bp = Blueprint("alerts", __name__)

RULE_FIELDS = ("client_id", "metric_type", "threshold", "duration_sec", "direction", "mount", "gpu",
               "enabled")
PER = {"disk": "mount", "gpu": "gpu"}


class DeliveryFailed(ApiError):
    status, code = 502, "delivery_failed"


# -- rules --------------------------------------------------------------------------------------------------

def _stamp() -> float:
    """updated_at, in microseconds and strictly increasing: the worker re-reads the rules when
    (count, max id, max updated_at) changes (alerting.persistence.AlertDB.rules_version)."""
    row = current_state().meta.query_one("SELECT max(updated_at) FROM alert_rules")
    last = float(row[0]) if row and row[0] is not None else 0.0
    return max(time.time(), last + 1e-6)


def _rule_row(rule_id: int) -> Any:
    row = current_state().meta.query_one("SELECT * FROM alert_rules WHERE id = ?", (rule_id,))
    if row is None:
        raise NotFound(f"no alert rule {rule_id}")
    return row


def _load(body: Any, partial: bool = False) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationFailed("an alert rule is a JSON object")
    try:
        data: dict[str, Any] = RuleSchema(partial=partial).load(body)
    except ValidationError as e:
        raise ValidationFailed("alert rule refused; nothing was changed", details=e.messages) from None
    return data


def _check(rule: dict[str, Any]) -> None:
    """Checks across fields and tables, on the rule as it will be stored."""
    try:
        RuleSchema().load({k: rule[k] for k in RULE_FIELDS})
    except ValidationError as e:
        raise ValidationFailed("alert rule refused; nothing was changed", details=e.messages) from None
    if rule["client_id"] is not None and current_state().clients.get(rule["client_id"]) is None:
        raise ValidationFailed("alert rule refused; nothing was changed",
                               details={"client_id": [f"no client {rule['client_id']!r}"]})


@bp.get("/api/alert-rules")
@readable
def list_rules() -> ResponseReturnValue:
    client_id = request.args.get("client_id")
    sql, params = "SELECT * FROM alert_rules", ()  # type: tuple[str, tuple[Any, ...]]
    if client_id:
        sql, params = sql + " WHERE client_id = ?", (client_id,)
    rows = current_state().meta.query(sql + " ORDER BY id", params)
    return jsonify({
        "rules": [rule_json(r) for r in rows],
        "defaults": current_state().global_settings.get("thresholds"),
        "metric_types": [{"name": m, "family": f, "field": field, "per": PER.get(f)}
                         for m, (f, field) in ALERT_METRIC_TYPES.items()],
    })


@bp.get("/api/alert-rules/<int:rule_id>")
@readable
def get_rule(rule_id: int) -> ResponseReturnValue:
    return jsonify(rule_json(_rule_row(rule_id)))


@bp.post("/api/alert-rules")
def create_rule() -> ResponseReturnValue:
    rule = _load(json_body(16 * 1024, 16 * 1024))
    _check(rule)
    now = _stamp()
    with current_state().meta.tx() as conn:
        cur = conn.execute(
            "INSERT INTO alert_rules (client_id, metric_type, threshold, duration_sec, direction, mount, gpu,"
            " enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*(rule[k] for k in RULE_FIELDS), int(now), now))
        rule_id = cur.lastrowid
    assert rule_id is not None
    return jsonify(rule_json(_rule_row(rule_id))), 201


@bp.route("/api/alert-rules/<int:rule_id>", methods=["PUT", "PATCH"])
def update_rule(rule_id: int) -> ResponseReturnValue:
    current = rule_json(_rule_row(rule_id))
    body = json_body(16 * 1024, 16 * 1024)
    changes = _load(body, partial=request.method == "PATCH")
    if request.method == "PATCH":
        changes = {k: v for k, v in changes.items() if k in body}  # only what the body named changes
    rule = {**current, **changes}
    _check(rule)
    current_state().meta.execute(
        "UPDATE alert_rules SET client_id = ?, metric_type = ?, threshold = ?, duration_sec = ?,"
        " direction = ?, mount = ?, gpu = ?, enabled = ?, updated_at = ? WHERE id = ?",
        (*(rule[k] for k in RULE_FIELDS), _stamp(), rule_id))
    return jsonify(rule_json(_rule_row(rule_id)))


@bp.delete("/api/alert-rules/<int:rule_id>")
def delete_rule(rule_id: int) -> ResponseReturnValue:
    _rule_row(rule_id)
    current_state().meta.execute("DELETE FROM alert_rules WHERE id = ?", (rule_id,))
    return "", 204


# -- history ------------------------------------------------------------------------------------------------

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


# -- channels -----------------------------------------------------------------------------------------------

@bp.get("/api/alerts/channels")
@readable
def channels() -> ResponseReturnValue:
    """Each channel: configured or not, its masked URL, and whether (and why) it is disabled."""
    state = current_state()
    alerts = AlertDB(state.meta)
    gs = state.global_settings.all()
    urls = configured_urls(gs)
    out = []
    for name, key in SETTING_OF.items():
        url = urls.get(name)
        row = alerts.channel(name)
        reason = alerts.disabled_reason(name, url) if url else None
        out.append({
            "name": name, "setting": key, "configured": url is not None, "url": mask_secret(url),
            "disabled": reason is not None, "disabled_reason": reason,
            "disabled_at": row["disabled_at"] if reason else None,
            "last_error": row["last_error"], "last_error_at": row["last_error_at"],
            "last_sent_at": row["last_sent_at"],
        })
    worker = alerts.worker()
    return jsonify({"channels": out, "worker": worker and {
        "last_cycle_at": worker["last_cycle_at"], "last_cycle_ms": worker["last_cycle_ms"],
        "last_error": worker["last_error"], "started_at": worker["started_at"]}})


@bp.post("/api/alerts/channels/<name>/enable")
def enable_channel(name: str) -> ResponseReturnValue:
    if name not in SETTING_OF:
        raise NotFound(f"no channel {name!r}")
    AlertDB(current_state().meta).enable(name)
    return channels()


@bp.post("/api/alerts/test")
def send_test_message() -> ResponseReturnValue:
    """Post a test message to a channel now (``{"channel": "slack"}``, the default, or ``"webhook"``)."""
    from alerting.delivery import send_test

    state = current_state()
    body = json_body(4096, 4096, required=False) or {}
    name = body.get("channel", "slack") if isinstance(body, dict) else None
    if name not in SETTING_OF:
        raise ValidationFailed("unknown channel", details={"channel": [f"one of {', '.join(SETTING_OF)}"]})
    url = configured_urls(state.global_settings.all()).get(name)
    if not url:
        raise ValidationFailed(f"no {SETTING_OF[name]} is set", details={"channel": ["not configured"]})
    # Short timeouts and one retry: a person is waiting for the answer.
    http = HttpClient(state.settings.webhook_allow_hosts,
                      HttpPolicy(connect_timeout=5, read_timeout=5, attempts=2, backoff=0.5))
    try:
        send_test(name, url, http, AlertDB(state.meta), state.settings.public_url)
    except TransportError as e:
        raise DeliveryFailed(f"the test message was not delivered: {e.message}",
                             details={"permanent": e.permanent, "disabled": e.permanent}) from None
    finally:
        http.close()
    return jsonify({"ok": True, "channel": name})
