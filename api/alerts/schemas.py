"""Validation of alert rules (POST/PUT/PATCH /api/alert-rules)."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from statusmon import labels
from statusmon.metrics import ALERT_METRIC_TYPES
from statusmon.notify.channels import BY_NAME


class RuleSchema(Schema):
    class Meta:
        unknown = RAISE

    client_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 64))
    metric_type = fields.String(required=True, validate=validate.OneOf(sorted(ALERT_METRIC_TYPES)))
    threshold = fields.Float(required=True, allow_nan=False)
    duration_sec = fields.Integer(required=True, strict=True, validate=validate.Range(0, 7 * 86400))
    direction = fields.String(load_default="above", validate=validate.OneOf(["above", "below"]))
    mount = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 4096))
    gpu = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(0, 1023))
    enabled = fields.Boolean(load_default=True)
    # The channels it notifies, by registry name; null: the global default (the alert_channels setting); []:
    # history only, no notification.
    channels = fields.List(fields.String(validate=validate.OneOf(list(BY_NAME))), load_default=None,
                           allow_none=True, validate=validate.Length(max=len(BY_NAME)))
    # The hosts it watches by their labels (every pair must match: {"role": "gpu"}); null: one client or all.
    selector = fields.Dict(keys=fields.String(), values=fields.String(), load_default=None, allow_none=True)

    @validates_schema
    def _selector(self, data: dict[str, Any], **_: Any) -> None:
        selector = data.get("selector")
        if selector is None:
            return
        if not selector:
            raise ValidationError("a selector names at least one label (or is null)", "selector")
        try:
            labels.validate(selector)
        except labels.InvalidLabels as e:
            raise ValidationError(str(e), "selector") from None
        if data.get("client_id") is not None:
            raise ValidationError("a rule targets one client or a label selector, not both", "selector")

    @validates_schema
    def _narrowing(self, data: dict[str, Any], partial: Any = None, **_: Any) -> None:
        if "metric_type" not in data:
            return  # a partial update: checked again on the merged rule
        family = ALERT_METRIC_TYPES.get(data["metric_type"], ("", ""))[0]
        if data.get("mount") is not None and family != "disk":
            raise ValidationError("only per-mount metric types (mount_*) take a mount", "mount")
        if data.get("gpu") is not None and family != "gpu":
            raise ValidationError("only per-GPU metric types (gpu_util_percent, gpu_mem_percent, "
                                  "gpu_temp_c) take a gpu", "gpu")


def rule_json(row: Any) -> dict[str, Any]:
    return {"id": row["id"], "client_id": row["client_id"], "metric_type": row["metric_type"],
            "threshold": row["threshold"], "duration_sec": row["duration_sec"], "direction": row["direction"],
            "mount": row["mount"], "gpu": row["gpu"], "enabled": bool(row["enabled"]),
            "channels": row.get("channels"), "selector": row.get("selector"),
            "created_at": int(row["created_at"]), "updated_at": int(row["updated_at"])}


MAX_SILENCE_SECONDS = 90 * 86400  # a silence longer than a quarter is a disabled rule in disguise


class SilenceSchema(Schema):
    """POST /api/silences: what to mute (``scope`` and its id), for how long (``duration_sec`` or ``until``,
    epoch seconds), and why (``comment``)."""

    class Meta:
        unknown = RAISE

    scope = fields.String(required=True, validate=validate.OneOf(["host", "rule", "all"]))
    client_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 64))
    rule_id = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(1, 2 ** 62))
    duration_sec = fields.Integer(load_default=None, allow_none=True, strict=True,
                                  validate=validate.Range(60, MAX_SILENCE_SECONDS))
    until = fields.Float(load_default=None, allow_none=True, allow_nan=False)
    comment = fields.String(required=True, validate=validate.Length(1, 500))

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_: Any) -> None:
        scope = data.get("scope")
        if scope == "host" and data.get("client_id") is None:
            raise ValidationError("a host silence names its client_id", "client_id")
        if scope == "rule" and data.get("rule_id") is None:
            raise ValidationError("a rule silence names its rule_id", "rule_id")
        if scope != "host" and data.get("client_id") is not None:
            raise ValidationError("only a host silence takes a client_id", "client_id")
        if scope != "rule" and data.get("rule_id") is not None:
            raise ValidationError("only a rule silence takes a rule_id", "rule_id")
        if (data.get("duration_sec") is None) == (data.get("until") is None):
            raise ValidationError("give either duration_sec or until (epoch seconds)", "duration_sec")
        if not data.get("comment", "").strip():
            raise ValidationError("say why (a comment is required)", "comment")
