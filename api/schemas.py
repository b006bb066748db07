"""The wire schema of agent reports, in marshmallow: built from the report contract (statusmon.report).

The whole batch is validated before anything is written. This schema is the contract's voice: it writes the
error messages, and whatever the fast path (api/fastcheck.py) declines, it decides. Limits come from Settings,
so the schema is built per application by ``ReportValidator(settings)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from statusmon import labels
from statusmon.config import Settings
from statusmon.metrics import SYSTEM_METRICS
from statusmon.report import REPORT, Field, Record
from statusmon.store.base import (
    ContainerSample,
    DiskIoSample,
    DiskSample,
    GpuProcess,
    GpuSample,
    NetSample,
    Sample,
    TempSample,
)
from statusmon.store.lineprotocol import validate_tag_value


def _tag_safe(value: str) -> None:
    """A mount becomes an InfluxDB tag: no control characters, no trailing backslash (same rule on SQLite)."""
    try:
        validate_tag_value(value)
    except ValueError as e:
        raise ValidationError(str(e)) from None


def _label_key(key: str) -> None:
    if not labels.key_ok(key):
        raise ValidationError(labels.KEY_RULE)


def _label_value(value: str) -> None:
    if not labels.value_ok(value):
        raise ValidationError(labels.VALUE_RULE)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


def _field(f: Field, settings: Settings, now: Callable[[], float]) -> fields.Field:
    """The marshmallow field that enforces ``f``."""
    lo, hi = f.bounds(settings)
    common: dict[str, Any] = {"required": f.required, "allow_none": f.nullable}
    if f.kind == "timestamp":  # its bounds move with the clock: checked by the sample schema's _check
        return fields.Integer(strict=True, **common)
    if f.kind == "int":
        return fields.Integer(strict=True, validate=[validate.Range(lo, hi)], **common)
    if f.kind == "float":
        return fields.Float(validate=[validate.Range(lo, hi)], **common)  # marshmallow refuses NaN and ±inf
    if f.kind == "string":
        checks: list[Callable[[Any], Any]] = [validate.Length(lo, hi)]
        if f.tag:
            checks.append(_tag_safe)
        return fields.String(validate=checks, **common)
    if f.kind == "labels":
        return fields.Dict(keys=fields.String(validate=_label_key), values=fields.String(validate=_label_value),
                           validate=[validate.Length(lo, hi)], **common)
    assert f.kind == "list", f
    assert f.item is not None, f
    return fields.List(fields.Nested(_schema(f.item, settings, now)), validate=[validate.Length(lo, hi)],
                       **common)


def _schema(record: Record, settings: Settings, now: Callable[[], float]) -> type[Schema]:
    declared = {f.name: _field(f, settings, now) for f in record.fields}
    return _record_checks(record, settings, now).from_dict(declared, name=f"{record.name.capitalize()}Schema")


def _record_checks(record: Record, settings: Settings, now: Callable[[], float]) -> type[Schema]:
    """What no single field can check: a timestamp against the clock, and the key of each list's items unique."""
    clocks = [(f.name, *f.clock_window(settings)) for f in record.fields if f.kind == "timestamp"]
    keyed = [(f.name, f.item.key, f.item.key_noun) for f in record.fields if f.item and f.item.key]
    if not clocks and not keyed:
        return _Strict

    class RecordChecks(_Strict):
        @validates_schema
        def _check(self, data: dict[str, Any], **_: Any) -> None:
            t = now()
            for name, past, future in clocks:
                ts = data[name]
                if ts > t + future:
                    raise ValidationError(
                        f"timestamp {ts} is {ts - int(t)} s ahead of the server's clock (at most {future} s "
                        "allowed): check the host's clock", name)
                if ts < t - past:
                    raise ValidationError(f"timestamp {ts} is older than {past} s", name)
            for name, key, noun in keyed:
                keys = [item[key] for item in data.get(name) or []]
                if len(keys) != len(set(keys)):
                    raise ValidationError(f"a {noun} appears twice in one {record.name}", name)

    return RecordChecks


class ReportValidator:
    """Validates a decoded report body and turns it into Sample objects."""

    def __init__(self, settings: Settings, now: Callable[[], float] | None = None):
        import time

        from api.fastcheck import FastCheck

        now = now or time.time
        self.fast = FastCheck(settings, now)
        self.schema = _schema(REPORT, settings, now)()

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
        return ({"agent_version": report.get("agent_version"), "dropped": report.get("dropped"),
                 "labels": report.get("labels")}, to_samples(report))


def _gpu(g: dict[str, Any]) -> GpuSample:
    processes = tuple(GpuProcess(**p) for p in g.get("processes") or ())
    return GpuSample(**{**g, "processes": processes})


def to_samples(report: dict[str, Any]) -> list[Sample]:
    out = []
    for s in report["samples"]:
        out.append(Sample(
            ts=s["ts"],
            values={m.name: s.get(m.name) for m in SYSTEM_METRICS},
            disks=tuple(DiskSample(**d) for d in s.get("disks") or ()),
            gpus=tuple(_gpu(g) for g in s.get("gpus") or ()),
            net=tuple(NetSample(**n) for n in s.get("net") or ()),
            diskio=tuple(DiskIoSample(**d) for d in s.get("diskio") or ()),
            temps=tuple(TempSample(**t) for t in s.get("temps") or ()),
            containers=tuple(ContainerSample(**c) for c in s.get("containers") or ()),
        ))
    return out
