"""/api/alert-rules: CRUD of alert rules (admin; GET also for a read-only API token)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from api.alerts.schemas import RuleSchema, rule_json
from api.auth import readable
from api.body import json_body
from api.errors import NotFound, ValidationFailed
from api.state import current_state
from statusmon.meta.alert_rules import FIELDS, AlertRules, RuleRow
from statusmon.metrics import ALERT_METRIC_TYPES

bp = Blueprint("alert_rules", __name__)

PER = {"disk": "mount", "gpu": "gpu"}


def _rules() -> AlertRules:
    return AlertRules(current_state().meta)


def _rule_row(rule_id: int) -> RuleRow:
    row = _rules().get(rule_id)
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
        RuleSchema().load({k: rule[k] for k in FIELDS})
    except ValidationError as e:
        raise ValidationFailed("alert rule refused; nothing was changed", details=e.messages) from None
    if rule["client_id"] is not None and current_state().clients.get(rule["client_id"]) is None:
        raise ValidationFailed("alert rule refused; nothing was changed",
                               details={"client_id": [f"no client {rule['client_id']!r}"]})


@bp.get("/api/alert-rules")
@readable
def list_rules() -> ResponseReturnValue:
    return jsonify({
        "rules": [rule_json(r) for r in _rules().list(request.args.get("client_id"))],
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
    rule_id = _rules().create(rule)
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
    _rules().update(rule_id, rule)
    return jsonify(rule_json(_rule_row(rule_id)))


@bp.delete("/api/alert-rules/<int:rule_id>")
def delete_rule(rule_id: int) -> ResponseReturnValue:
    if not _rules().delete(rule_id):
        raise NotFound(f"no alert rule {rule_id}")
    return "", 204
