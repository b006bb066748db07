"""/api/alert-rules: CRUD of alert rules (admin; GET also for a read-only API token)."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from api.alerts.schemas import RuleSchema, rule_json
from api.auth import readable
from api.body import json_body
from api.errors import NotFound, ValidationFailed
from api.state import current_state
from statusmon.metrics import ALERT_METRIC_TYPES

bp = Blueprint("alert_rules", __name__)

RULE_FIELDS = ("client_id", "metric_type", "threshold", "duration_sec", "direction", "mount", "gpu",
               "enabled")
PER = {"disk": "mount", "gpu": "gpu"}


def _stamp() -> float:
    """updated_at, in microseconds and strictly increasing: the worker re-reads the rules when
    (count, max id, max updated_at) changes (statusmon.meta.alerts.AlertDB.rules_version)."""
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
