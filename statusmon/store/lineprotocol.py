"""Build InfluxDB line protocol by hand: pure functions, no I/O.

Escaping follows the line-protocol reference (checked against influxd 1.6.7 by
tests/store/test_lineprotocol.py):

=================  ================================
element            characters escaped with ``\\``
=================  ================================
measurement        comma, space
tag key / value    comma, equals sign, space
field key          comma, equals sign, space
string field value double quote, backslash
=================  ================================

A backslash in a name or tag value is *not* escaped (the parser keeps ``\\`` followed by anything else
literally), which means a tag value ending in a backslash cannot be written at all: the backslash would escape
the comma or space that follows it. ``validate_tag_value`` refuses such values, together with everything that
could end a line and so inject a point of its own.

Timestamps are unix seconds: send the lines with ``precision=s``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache

from statusmon.metrics import ALL_METRICS

MAX_TAG_VALUE_LENGTH = 256

FieldValue = float | int | str | bool | None

_MEASUREMENT_ESCAPES = str.maketrans({",": "\\,", " ": "\\ "})
_KEY_ESCAPES = str.maketrans({",": "\\,", "=": "\\=", " ": "\\ "})
_STRING_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"'})
# C0 controls, DEL, C1 controls, and the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# family -> field name -> stored as an integer (the metric catalogue decides, once).
_INTEGER: dict[str, dict[str, bool]] = {}
for _m in ALL_METRICS:
    _INTEGER.setdefault(_m.family, {})[_m.name] = _m.integer


@lru_cache(maxsize=256)
def escape_measurement(name: str) -> str:
    _check_name(name, "measurement")
    return name.translate(_MEASUREMENT_ESCAPES)


@lru_cache(maxsize=1024)
def escape_key(key: str) -> str:
    """Escape a tag key or field key (names come from a small, fixed set: cached)."""
    _check_name(key, "key")
    return key.translate(_KEY_ESCAPES)


def escape_tag_value(value: str) -> str:
    return validate_tag_value(value).translate(_KEY_ESCAPES)


def escape_string_value(value: str) -> str:
    """A string field value, quotes included."""
    if "\n" in value or "\r" in value:
        raise ValueError("a string field value must not contain a line break")
    return '"' + value.translate(_STRING_ESCAPES) + '"'


def validate_tag_value(value: str) -> str:
    """Return ``value`` if it can be written as a tag value unchanged; raise ValueError otherwise.

    Refused: non-strings, the empty string (InfluxDB drops empty tags, so the point would change series),
    more than 256 characters, control characters (line breaks would start a new point), and a trailing
    backslash (it would escape the separator after it).
    """
    if not isinstance(value, str):
        raise ValueError(f"a tag value must be a string, not {type(value).__name__}")
    if not value:
        raise ValueError("a tag value must not be empty")
    if len(value) > MAX_TAG_VALUE_LENGTH:
        raise ValueError(f"a tag value must be at most {MAX_TAG_VALUE_LENGTH} characters, got {len(value)}")
    if _CONTROL.search(value):
        raise ValueError(f"a tag value must not contain control characters, got {value!r}")
    if value.endswith("\\"):
        raise ValueError(f"a tag value must not end with a backslash, got {value!r}")
    return value


def format_float(value: float) -> str:
    """A float that InfluxDB reads as a float: repr always has a '.' or an exponent (1.0, 1e+16)."""
    f = float(value)
    if not math.isfinite(f):
        raise ValueError(f"non-finite values cannot be stored: {value!r}")
    text = repr(f)
    if "." not in text and "e" not in text:  # defensive: repr of a finite float always has one
        text += ".0"
    return text


def format_integer(value: float | int) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"non-finite values cannot be stored: {value!r}")
        if not value.is_integer():
            raise ValueError(f"an integer field got a fraction: {value!r}")
    i = int(value)
    if not -(2**63) <= i < 2**63:
        raise ValueError(f"integer out of the signed 64-bit range: {value!r}")
    return f"{i}i"


def format_field_value(value: FieldValue, integer: bool = False) -> str:
    """One field value: ``123i`` when ``integer``, a float otherwise; strings quoted, booleans as is."""
    if isinstance(value, bool):
        raise ValueError("boolean values are not stored")
    if isinstance(value, str):
        return escape_string_value(value)
    if isinstance(value, int | float):
        return format_integer(value) if integer else format_float(value)
    raise ValueError(f"a field value must be a number or a string, not {type(value).__name__}")


def series_key(measurement: str, tags: Mapping[str, str]) -> str:
    """The escaped ``measurement,tag=value,...`` head of a line, tags sorted (build once per series)."""
    head = escape_measurement(measurement)
    for key in sorted(tags):
        head += "," + escape_key(key) + "=" + escape_tag_value(tags[key])
    return head


def field_set(values: Mapping[str, FieldValue], family: str | None = None) -> str | None:
    """``k=v,...`` for the values that are not None, or None when there are none.

    ``family`` names the catalogue family that decides each field's type (unknown names are refused);
    None: plain values (ints as integers, floats as floats, strings as strings), for tests and tools.
    """
    if family is not None:
        return field_set_of(family)(values)
    parts = []
    for name, value in values.items():
        if value is None:
            continue
        integer = isinstance(value, int) and not isinstance(value, bool)
        parts.append(escape_key(name) + "=" + format_field_value(value, integer))
    return ",".join(parts) if parts else None


_MIN_INT, _MAX_INT = -(2**63), 2**63 - 1


@lru_cache(maxsize=64)
def field_set_of(family: str) -> Callable[[Mapping[str, FieldValue]], str | None]:
    """``field_set`` for one family, compiled once from the catalogue: each known name maps to its escaped
    ``key=``, and the common values (an int for an integer field, a finite float for a float field) are written
    inline; anything else takes ``format_field_value``, which formats or refuses it exactly as ``field_set``
    always did. The ingest path calls this for every point (it was the largest part of the API's CPU)."""
    types = _INTEGER.get(family, {})
    int_keys = {name: escape_key(name) + "=" for name, integer in types.items() if integer}
    float_keys = {name: escape_key(name) + "=" for name, integer in types.items() if not integer}
    fmt = format_field_value

    def other(name: str, value: FieldValue) -> str:
        if name not in types:
            raise ValueError(f"unknown {family} field {name!r}")
        return escape_key(name) + "=" + fmt(value, types[name])

    def encode(values: Mapping[str, FieldValue]) -> str | None:
        parts: list[str] = []
        append = parts.append
        for name, value in values.items():
            if value is None:
                continue
            t = type(value)
            if t is float:
                key = float_keys.get(name)
                if key is not None and value - value == 0.0:  # type: ignore[operator]  # finite (inf - inf: nan)
                    append(key + repr(value))
                    continue
            elif t is int:
                key = int_keys.get(name)
                if key is not None and _MIN_INT <= value <= _MAX_INT:  # type: ignore[operator]
                    append(f"{key}{value}i")
                    continue
            append(other(name, value))
        return ",".join(parts) if parts else None
    return encode


def line(measurement: str, tags: Mapping[str, str], fields: Mapping[str, str], ts: int) -> str:
    """One point from already formatted field values (see ``format_field_value``); tags sorted by key."""
    if not fields:
        raise ValueError("a point needs at least one field")
    body = ",".join(escape_key(k) + "=" + v for k, v in fields.items())
    return f"{series_key(measurement, tags)} {body} {_timestamp(ts)}"


def point(measurement: str, tags: Mapping[str, str], values: Mapping[str, FieldValue], ts: int,
          family: str | None = None) -> str | None:
    """One point of ``family`` (see ``field_set``), or None when every value is None."""
    body = field_set(values, family)
    if body is None:
        return None
    return f"{series_key(measurement, tags)} {body} {_timestamp(ts)}"


def _timestamp(ts: int) -> int:
    if isinstance(ts, bool) or not isinstance(ts, int):
        raise ValueError(f"a timestamp must be integer seconds, got {ts!r}")
    return ts


def join(lines: Iterable[str]) -> bytes:
    return "\n".join(lines).encode("utf-8")


def _check_name(name: str, what: str) -> None:
    if not isinstance(name, str) or not name:
        raise ValueError(f"a {what} must be a non-empty string")
    if _CONTROL.search(name) or name.endswith("\\"):
        raise ValueError(f"a {what} must not contain control characters or end with a backslash: {name!r}")
