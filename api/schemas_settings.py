"""Validation of global settings changes (POST /api/settings): a partial update, every key optional.

The fields come from the settings table (statusmon.meta.settings.SETTINGS): its kinds and bounds here become
marshmallow fields; channel URLs are checked against the webhook allowlist (plus the channel's own fixed hosts),
an SMTP host against the allowlist, and "" means "remove" (None) for URLs, hosts and texts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from statusmon.meta.settings import BY_KEY, EMPTY_REMOVES, SETTINGS, Setting
from statusmon.metrics import ALERT_METRIC_TYPES
from statusmon.notify.channels import BY_NAME
from statusmon.webhooks import WebhookNotAllowed, check_host, check_webhook_url


class ThresholdSchema(Schema):
    class Meta:
        unknown = RAISE

    threshold = fields.Float(required=True, allow_nan=False)
    duration_sec = fields.Integer(required=True, strict=True, validate=validate.Range(0, 7 * 86400))
    direction = fields.String(load_default="above", validate=validate.OneOf(["above", "below"]))
    enabled = fields.Boolean(load_default=True)


def _field(s: Setting) -> fields.Field:
    bounds = [validate.Range(*s.bounds)] if s.bounds else []
    if s.kind in ("url", "host"):
        return fields.String(allow_none=True)
    if s.kind == "text":
        return fields.String(allow_none=True, validate=validate.Length(max=1024))
    if s.kind == "choice":
        return fields.String(validate=validate.OneOf(s.choices))
    if s.kind == "channels":
        return fields.List(fields.String(validate=validate.OneOf(list(BY_NAME))), allow_none=True,
                           validate=validate.Length(max=len(BY_NAME)))
    if s.kind == "int":
        return fields.Integer(strict=True, validate=bounds)
    if s.kind == "float":
        return fields.Float(allow_nan=False, validate=bounds)
    if s.kind == "thresholds":
        return fields.Dict(keys=fields.String(validate=validate.OneOf(list(ALERT_METRIC_TYPES))),
                           values=fields.Nested(ThresholdSchema))
    raise AssertionError(f"no field for the kind {s.kind!r}")


class _SettingsBase(Schema):
    class Meta:
        unknown = RAISE

    def __init__(self, allow_hosts: Iterable[str], **kwargs: Any):
        super().__init__(**kwargs)
        self.allow_hosts = tuple(allow_hosts)

    # skip_on_field_errors=False: a bad URL is reported beside another field's error, not after it is fixed.
    @validates_schema(skip_on_field_errors=False)
    def _check_urls(self, data: dict[str, Any], **_: Any) -> None:
        errors: dict[str, list[str]] = {}
        for key, value in data.items():
            s = BY_KEY[key]
            if s.kind not in ("url", "host") or value in (None, ""):
                continue
            try:
                if s.kind == "url":
                    check_webhook_url(value, self.allow_hosts + s.hosts)
                else:
                    check_host(value, self.allow_hosts)
            except WebhookNotAllowed as e:
                errors[key] = [str(e)]
        if errors:
            raise ValidationError(errors)

    @post_load
    def _empty_removes(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {k: None if k in EMPTY_REMOVES and v == "" else v for k, v in data.items()}


SettingsSchema = cast(type[_SettingsBase],
                      _SettingsBase.from_dict({s.key: _field(s) for s in SETTINGS}, name="SettingsSchema"))
