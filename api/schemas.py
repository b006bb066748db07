"""The wire schema of agent reports (the API owns it; the agent's payload is tested against it).

The whole batch is validated before anything is written. Limits come from Settings, so the schema is built
per application by ``ReportValidator(settings)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from statusmon.config import Settings
from statusmon.metrics import SYSTEM_METRICS
from statusmon.store.base import DiskSample, GpuSample, Sample
from statusmon.store.lineprotocol import validate_tag_value

MAX_STRING = 256
MAX_BYTES = 2**62  # beyond any disk or GPU; keeps InfluxDB's signed 64-bit integers safe


def _percent() -> fields.Float:
    return fields.Float(allow_none=True, allow_nan=False, validate=validate.Range(0, 100))


def _bytes(required: bool = False) -> fields.Integer:
    return fields.Integer(required=required, allow_none=not required, strict=True,
                          validate=validate.Range(0, MAX_BYTES))


def _tag_safe(value: str) -> None:
    """A mount becomes an InfluxDB tag: no control characters, no trailing backslash (same rule on SQLite)."""
    try:
        validate_tag_value(value)
    except ValueError as e:
        raise ValidationError(str(e)) from None


class DiskSchema(Schema):
    class Meta:
        unknown = RAISE

    mount = fields.String(required=True, validate=[validate.Length(1, MAX_STRING), _tag_safe])
    used_bytes = _bytes(required=True)
    total_bytes = _bytes(required=True)
    inodes_used = _bytes()
    inodes_total = _bytes()


class GpuSchema(Schema):
    class Meta:
        unknown = RAISE

    index = fields.Integer(required=True, strict=True, validate=validate.Range(0, 1023))
    uuid = fields.String(allow_none=True, validate=validate.Length(max=MAX_STRING))
    name = fields.String(allow_none=True, validate=validate.Length(max=MAX_STRING))
    util_percent = _percent()
    mem_used_bytes = _bytes()
    mem_total_bytes = _bytes()
    temp_c = fields.Float(allow_none=True, allow_nan=False, validate=validate.Range(-100, 250))
    power_w = fields.Float(allow_none=True, allow_nan=False, validate=validate.Range(0, 100_000))


def _sample_schema(settings: Settings, now: Callable[[], float]) -> type[Schema]:
    system_fields: dict[str, Any] = {
        m.name: (_bytes() if m.unit == "bytes" else _percent()) for m in SYSTEM_METRICS
    }

    class SampleSchema(Schema):
        class Meta:
            unknown = RAISE

        ts = fields.Integer(required=True, strict=True)
        disks = fields.List(fields.Nested(DiskSchema), validate=validate.Length(max=settings.max_mounts))
        gpus = fields.List(fields.Nested(GpuSchema), validate=validate.Length(max=settings.max_gpus))
        locals().update(system_fields)

        @validates_schema
        def _check(self, data: dict[str, Any], **_: Any) -> None:
            t = now()
            ts = data["ts"]
            if ts > t + settings.max_future_seconds:
                raise ValidationError(
                    f"timestamp {ts} is {ts - int(t)} s ahead of the server's clock (at most "
                    f"{settings.max_future_seconds} s allowed): check the host's clock", "ts")
            if ts < t - settings.max_past_seconds:
                raise ValidationError(
                    f"timestamp {ts} is older than {settings.max_past_seconds} s", "ts")
            mounts = [d["mount"] for d in data.get("disks") or []]
            if len(mounts) != len(set(mounts)):
                raise ValidationError("a mount appears twice in one sample", "disks")
            indexes = [g["index"] for g in data.get("gpus") or []]
            if len(indexes) != len(set(indexes)):
                raise ValidationError("a GPU index appears twice in one sample", "gpus")

    return SampleSchema


class ReportValidator:
    """Validates a decoded report body and turns it into Sample objects."""

    def __init__(self, settings: Settings, now: Callable[[], float] | None = None):
        import time

        from api.fastcheck import FastCheck

        now = now or time.time
        sample_schema = _sample_schema(settings, now)
        self.fast = FastCheck(settings, now)

        class ReportSchema(Schema):
            class Meta:
                unknown = RAISE

            agent_version = fields.String(allow_none=True, validate=validate.Length(max=64))
            dropped = fields.Integer(allow_none=True, strict=True, validate=validate.Range(0, 2**62))
            samples = fields.List(fields.Nested(sample_schema), required=True,
                                  validate=validate.Length(1, settings.max_samples_per_batch))

        self.schema = ReportSchema()

    def load(self, body: Any) -> dict[str, Any]:
        """The validated report; raises marshmallow.ValidationError with per-field messages."""
        if not isinstance(body, dict):
            raise ValidationError("the body must be a JSON object")
        return self.schema.load(body)

    def samples(self, body: Any) -> tuple[dict[str, Any], list[Sample]]:
        """(agent_version and dropped, the samples): the fast path when it accepts, else the schema's verdict."""
        fast = self.fast.load(body)
        if fast is not None:
            return fast
        report = self.load(body)
        return {"agent_version": report.get("agent_version"), "dropped": report.get("dropped")}, to_samples(report)


def to_samples(report: dict[str, Any]) -> list[Sample]:
    out = []
    for s in report["samples"]:
        out.append(Sample(
            ts=s["ts"],
            values={m.name: s.get(m.name) for m in SYSTEM_METRICS},
            disks=tuple(DiskSample(**d) for d in s.get("disks") or ()),
            gpus=tuple(GpuSample(**g) for g in s.get("gpus") or ()),
        ))
    return out
