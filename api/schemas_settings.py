"""Validation of global settings changes (POST /api/settings): a partial update, every key optional."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

from statusmon.metrics import ALERT_METRIC_TYPES
from statusmon.webhooks import WebhookNotAllowed, check_webhook_url


class ThresholdSchema(Schema):
    class Meta:
        unknown = RAISE

    threshold = fields.Float(required=True, allow_nan=False)
    duration_sec = fields.Integer(required=True, strict=True, validate=validate.Range(0, 7 * 86400))
    direction = fields.String(load_default="above", validate=validate.OneOf(["above", "below"]))
    enabled = fields.Boolean(load_default=True)


class SettingsSchema(Schema):
    class Meta:
        unknown = RAISE

    slack_webhook_url = fields.String(allow_none=True)
    webhook_url = fields.String(allow_none=True)
    thresholds = fields.Dict(keys=fields.String(validate=validate.OneOf(list(ALERT_METRIC_TYPES))),
                             values=fields.Nested(ThresholdSchema))
    online_timeout_seconds = fields.Integer(strict=True, validate=validate.Range(5, 86400))
    retention_days = fields.Integer(strict=True, validate=validate.Range(1, 3650))
    alert_repeat_hours = fields.Float(allow_nan=False, validate=validate.Range(0, 24 * 30))

    def __init__(self, allow_hosts: Iterable[str], **kwargs: Any):
        super().__init__(**kwargs)
        self.allow_hosts = tuple(allow_hosts)

    def _check_url(self, value: str | None) -> None:
        if value in (None, ""):
            return
        try:
            check_webhook_url(value, self.allow_hosts)
        except WebhookNotAllowed as e:
            raise ValidationError(str(e)) from None

    @validates("slack_webhook_url")
    def _slack(self, value: str | None, **_: Any) -> None:
        self._check_url(value)

    @validates("webhook_url")
    def _generic(self, value: str | None, **_: Any) -> None:
        self._check_url(value)
