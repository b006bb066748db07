"""Reading the JSON datasource plugin's request bodies: shapes checked against the contract, times to seconds.

The contract (shared/specs/grafana-json-datasource.openapi.yaml) is loose on purpose: almost every member is
optional and ``payload`` is any object. What it does say is enforced here, so a body of the wrong shape is a
400 and never a 500; what it leaves open (an unknown metric, a client that does not exist) is decided by the
views.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from api.errors import BadRequest
from api.views.timerange import MAX_SPAN

# RFC 3339 date-time, as OpenAPI's ``format: date-time`` means it (Grafana sends ...T...Z with milliseconds).
_DATE_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$")
DEFAULT_RANGE = 3600  # a body without a range asks for the last hour, like the REST endpoints


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (any year, 0000 included, unlike datetime)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _days_in_month(y: int, m: int) -> int:
    if m == 2:
        return 29 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 28
    return 30 if m in (4, 6, 9, 11) else 31


def parse_date_time(value: str, where: str) -> float:
    """Unix seconds (float) of an RFC 3339 date-time; BadRequest if it is not one."""
    m = _DATE_TIME.match(value)
    if not m:
        raise BadRequest(f"{where} must be an RFC 3339 date-time such as 2024-01-31T12:00:00.000Z")
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    if not (1 <= month <= 12 and 1 <= day <= _days_in_month(year, month) and hour <= 23 and minute <= 59
            and second <= 60):  # 60: a leap second is valid RFC 3339
        raise BadRequest(f"{where} is not a valid date-time: {value!r}")
    offset = 0
    if m.group(9):
        oh, om = int(m.group(10)), int(m.group(11))
        if oh > 23 or om > 59:
            raise BadRequest(f"{where} has an invalid UTC offset: {value!r}")
        offset = (oh * 3600 + om * 60) * (1 if m.group(9) == "+" else -1)
    fraction = float(m.group(7)) if m.group(7) else 0.0
    return _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second + fraction - offset


# -- shape checks --------------------------------------------------------------------------------


def is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def expect_object(v: Any, where: str) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise BadRequest(f"{where} must be a JSON object")
    return v


def optional(body: Mapping[str, Any], key: str, kind: str, where: str) -> Any:
    """``body[key]`` if present, checked to be of JSON type ``kind`` (string, number, object, array)."""
    if key not in body:
        return None
    v = body[key]
    ok = {"string": isinstance(v, str), "number": is_number(v), "object": isinstance(v, dict),
          "array": isinstance(v, list), "boolean": isinstance(v, bool)}[kind]
    if not ok:
        raise BadRequest(f"{where}.{key} must be a {kind}")
    return v


def check_raw_frame(v: Any, where: str) -> None:
    frame = expect_object(v, where)
    optional(frame, "from", "string", where)
    optional(frame, "to", "string", where)


@dataclass(frozen=True)
class TimeRange:
    """[start, end) in unix seconds; ``empty`` when the asked range holds no time at all."""

    start: int
    end: int

    @property
    def empty(self) -> bool:
        return self.end <= self.start


def time_range(body: Mapping[str, Any], now: float | None = None) -> TimeRange:
    """The body's ``range`` (from/to date-times) as whole seconds, the end exclusive.

    ``to`` is rounded up past its second, so the sample at ``to`` is included, as ``GET /api/metrics`` does
    for ``to=now``. A range beyond 731 days keeps its last 731 days (the REST endpoints refuse those;
    Grafana's "Last 5 years" should still draw what there is). ``to`` before ``from`` is an empty range.
    """
    now = time.time() if now is None else now
    rng = optional(body, "range", "object", "body")
    if rng is None:
        end = int(now) + 1
        return TimeRange(end - DEFAULT_RANGE, end)
    raw_from = optional(rng, "from", "string", "range")
    raw_to = optional(rng, "to", "string", "range")
    if "raw" in rng:
        check_raw_frame(rng["raw"], "range.raw")
    end = int(parse_date_time(raw_to, "range.to")) + 1 if raw_to is not None else int(now) + 1
    start = int(parse_date_time(raw_from, "range.from")) if raw_from is not None else end - DEFAULT_RANGE
    if end - start > MAX_SPAN:
        start = end - MAX_SPAN
    return TimeRange(start, end)


def check_common(body: Mapping[str, Any]) -> None:
    """The members every request may carry, as the contract types them."""
    if "rangeRaw" in body:
        check_raw_frame(body["rangeRaw"], "rangeRaw")
    if "panelId" in body and not (isinstance(body["panelId"], str) or is_number(body["panelId"])):
        raise BadRequest("panelId must be a string or a number")
    optional(body, "interval", "string", "body")
    optional(body, "intervalMs", "number", "body")
    optional(body, "maxDataPoints", "number", "body")
    optional(body, "scopedVars", "object", "body")


@dataclass(frozen=True)
class Target:
    target: str
    ref_id: str | None
    payload: dict[str, Any]
    hidden: bool


def targets(body: Mapping[str, Any]) -> list[Target]:
    raw = optional(body, "targets", "array", "body") or []
    out = []
    for i, t in enumerate(raw):
        where = f"targets[{i}]"
        t = expect_object(t, where)
        if not isinstance(t.get("target"), str):
            raise BadRequest(f"{where}.target is required and must be a string")
        ref_id = optional(t, "refId", "string", where)
        payload = optional(t, "payload", "object", where)
        # A hidden query (the eye icon in Grafana) is still sent; it must return nothing.
        hidden = t.get("hide") is True
        out.append(Target(t["target"], ref_id, payload or {}, hidden))
    return out


@dataclass(frozen=True)
class Filter:
    key: str
    operator: str
    value: str


def filters(body: Mapping[str, Any]) -> list[Filter]:
    """Ad hoc filters: ``filters`` in the contract; the plugin itself sends ``adhocFilters``."""
    out = []
    for name in ("filters", "adhocFilters"):
        raw = optional(body, name, "array", "body") or []
        for i, f in enumerate(raw):
            where = f"{name}[{i}]"
            f = expect_object(f, where)
            key = optional(f, "key", "string", where)
            op = optional(f, "operator", "string", where)
            value = optional(f, "value", "string", where)
            if key is not None:
                out.append(Filter(key, op or "=", value or ""))
    return out
