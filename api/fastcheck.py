"""A fast path for the report schema: plain Python checks compiled from the same contract (statusmon.report).

marshmallow costs about 25 µs per field, which would cap ingest near 2,000 samples/s on one worker. This
checks the same rules an order of magnitude faster and builds the Samples directly. It only ever *accepts*:
on anything unusual it returns None and the marshmallow schema decides (and writes the error messages), so
the schema stays the contract's voice. Both are built from the one field table; tests/api/test_fastcheck.py
proves with generated payloads that whatever this accepts, the schema accepts with the same result.

Speed: the table is compiled once per FastCheck (Settings give some bounds). A sample and every list of
records in it (disks, GPUs and each GPU's processes, net, diskio, temps, containers) are checked by Python
source written from the table (``_Source``; read it as ``FastCheck(...).source``): each field is a few inline
comparisons with its bounds as literals, no call and no table lookup per field, one function per kind of
record. That costs less CPU than one check closure per field (which the report's own few fields still use);
README's Performance section has the figure.
"""

from __future__ import annotations

import dataclasses
import math
import re
import sys
from collections.abc import Callable
from typing import Any

from statusmon import labels
from statusmon.config import Settings
from statusmon.report import CONTAINER, DISK, DISKIO, GPU, GPU_PROCESS, NET, REPORT, SAMPLE, TEMP, Field, Record
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

Check = Callable[[Any], Any]


class _Reject(Exception):
    pass


# What a record's checked fields are built into (their fields are named as the record's: test_report_contract).
_BUILDS: dict[str, type[Any]] = {DISK.name: DiskSample, GPU.name: GpuSample, GPU_PROCESS.name: GpuProcess,
                                  NET.name: NetSample, DISKIO.name: DiskIoSample, TEMP.name: TempSample,
                                  CONTAINER.name: ContainerSample}

_ABSENT: Any = object()  # a key not in the object (unlike None, which is JSON null)

# lineprotocol.validate_tag_value's rule (no control character or Unicode line/paragraph separator, no trailing
# backslash) for a string already within its length: anything else goes to the schema, which says why.
_SAFE_TAG = re.compile(r"[^\x00-\x1f\x7f-\x9f\u2028\u2029]*[^\x00-\x1f\x7f-\x9f\u2028\u2029\\]\Z")


def _range(f: Field, settings: Settings) -> tuple[float, float]:
    """f's bounds, an open side as the largest finite float: then NaN and ±inf fail the comparison itself."""
    lo, hi = f.bounds(settings)
    return (-sys.float_info.max if lo is None else lo), (sys.float_info.max if hi is None else hi)


def _scalar(f: Field, settings: Settings) -> Check:
    """The check of one of the report's own int or string fields: the value as stored, or _Reject. (A sample's
    fields, floats and tags included, are checked by the source _Source writes; the report itself has neither:
    one added fails here, loudly, when the API starts.)"""
    lo, hi = _range(f, settings)
    nullable, optional = f.nullable, not f.required
    # Each check tests the common valid case first; null and absent come after.
    if f.kind == "int":
        def check_int(v: Any) -> Any:
            if type(v) is int:  # not bool, not float: marshmallow's strict Integer
                if lo <= v <= hi:
                    return v
            elif (v is None and nullable) or (v is _ABSENT and optional):
                return None
            raise _Reject
        return check_int
    if f.kind == "string" and not f.tag:  # no tag among the report's own fields (one would need _SAFE_TAG)
        lo_len = max(lo, 0)

        def check_str(v: Any) -> Any:
            if type(v) is str:
                if lo_len <= len(v) <= hi:
                    return v
            elif (v is None and nullable) or (v is _ABSENT and optional):
                return None
            raise _Reject
        return check_str
    raise AssertionError(f"no scalar check for {f}")


def _labels(f: Field, settings: Settings) -> Check:
    """The check of a labels object: a dict of valid keys and values within the count, None when absent/null."""
    lo, hi = _range(f, settings)
    nullable, optional = f.nullable, not f.required
    key_ok, value_ok = labels.key_ok, labels.value_ok

    def check_labels(v: Any) -> Any:
        if type(v) is dict:
            if lo <= len(v) <= hi and all(key_ok(k) and value_ok(x) for k, x in v.items()):
                return dict(v)
        elif (v is None and nullable) or (v is _ABSENT and optional):
            return None
        raise _Reject
    return check_labels


def _scalars(fields: tuple[Field, ...], settings: Settings) -> tuple[tuple[str, Check], ...]:
    """The checks of the report's own fields but its samples (a kind _scalar has no check for fails loudly)."""
    return tuple((f.name, _labels(f, settings) if f.kind == "labels" else _scalar(f, settings))
                 for f in fields if f.kind != "list")


def _length(f: Field, settings: Settings) -> Check:
    """The check of the report's samples: a JSON array within its length, or _Reject (required and never null, as
    the table says; a sample's own lists are checked by the source _Source writes)."""
    assert f.required, f
    assert not f.nullable, f
    lo, hi = _range(f, settings)

    def check_length(v: Any) -> Any:
        if type(v) is list and lo <= len(v) <= hi:
            return v
        raise _Reject
    return check_length


class _Source:
    """Python source of the per-sample checks, written from the table once per FastCheck (as dataclasses
    writes ``__init__``): each field's check is a few inline lines with its bounds bound as constants, so a
    sample costs no call per field and no table lookup. A field added to the table is checked with no change
    here; only a new kind of record list needs its store class in ``_BUILDS``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.names: dict[str, Any] = {"_Reject": _Reject, "_ABSENT": _ABSENT}
        self.lines: list[str] = []  # the functions written so far, each complete

    def const(self, value: Any) -> str:
        if type(value) in (int, float) and math.isfinite(value):
            return repr(value)  # a literal: exact for both (repr of a float reads back as the same float)
        name = f"_c{len(self.names)}"
        self.names[name] = value
        return name

    def check(self, f: Field, var: str, indent: str, emit: Callable[[str], None]) -> None:
        """Lines that leave the checked value of ``f`` (from ``get``) in ``var``, or raise _Reject."""
        emit(f"{indent}{var} = get({f.name!r}, _ABSENT)")
        missing = " or ".join(c for c, ok in (("{v} is None", f.nullable), ("{v} is _ABSENT", not f.required))
                              if ok).format(v=var)
        empty = "()" if f.kind == "list" else "None"
        if f.kind == "timestamp":
            ok = f"type({var}) is int and lo_ts <= {var} <= hi_ts"
        elif f.kind == "int":
            lo, hi = _range(f, self.settings)
            ok = f"type({var}) is int and {self.const(lo)} <= {var} <= {self.const(hi)}"
        elif f.kind == "float":
            lo_c, hi_c = (self.const(b) for b in _range(f, self.settings))
            emit(f"{indent}if type({var}) is float:")
            emit(f"{indent}    if not {lo_c} <= {var} <= {hi_c}:")  # NaN fails the comparison too
            emit(f"{indent}        raise _Reject")
            # float() of a huge int raises OverflowError: load() declines, as before.
            emit(f"{indent}elif type({var}) is int and {lo_c} <= ({var} := float({var})) <= {hi_c}:")
            emit(f"{indent}    pass")
            ok = ""
        elif f.kind == "string":
            ok = f"type({var}) is str and {self.length(f, var)}"
            if f.tag:
                ok += f" and {self.const(_SAFE_TAG.match)}({var}) is not None"
        else:
            assert f.kind == "list", f
            assert f.item is not None, f
            ok = f"(type({var}) is list or type({var}) is tuple) and {self.length(f, var)}"
            items = self.items(f.item)
            emit(f"{indent}if {ok}:")
            emit(f"{indent}    {var} = {items}({var})")
            ok = ""
        if ok:
            emit(f"{indent}if {ok}:")
            emit(f"{indent}    pass")
        if missing:
            emit(f"{indent}elif {missing}:")
            emit(f"{indent}    {var} = {empty}")
        emit(f"{indent}else:")
        emit(f"{indent}    raise _Reject")

    def length(self, f: Field, var: str) -> str:
        """The test of a string's or list's length (no lower bound written where it is 0 or open)."""
        lo, hi = _range(f, self.settings)
        return (f"{self.const(lo)} <= " if lo > 0 else "") + f"len({var}) <= {self.const(hi)}"

    def items(self, record: Record) -> str:
        """Define the function that checks a list of ``record`` items into a tuple of its store class (each key
        once); return its name. (Each record is the item of one list only: a second would define it again.)"""
        assert record.name in _BUILDS, f"no store class for {record.name} items: add it to _BUILDS"
        build = _BUILDS[record.name]
        # Built positionally, so the dataclass's field order must be the record's.
        assert [g.name for g in dataclasses.fields(build)] == [g.name for g in record.fields], record
        name = f"_items_{record.name}"
        args = [f"a{i}" for i in range(len(record.fields))]
        lines: list[str] = []
        emit = lines.append
        emit(f"def {name}(items):")
        emit("    out = []")
        if record.key:
            emit("    seen = set()")
        emit("    for d in items:")
        emit(f"        if type(d) is not dict or not d.keys() <= {self.const(record.names)}:")
        emit("            raise _Reject")
        emit("        get = d.get")
        for i, f in enumerate(record.fields):
            assert f.kind != "timestamp", f"{record.name}.{f.name}: a timestamp is checked in a sample only"
            self.check(f, args[i], "        ", emit)
        if record.key:
            key = args[[g.name for g in record.fields].index(record.key)]
            emit(f"        if {key} in seen:")
            emit("            raise _Reject")
            emit(f"        seen.add({key})")
        emit(f"        out.append({self.const(build)}({', '.join(args)}))")
        emit("    return tuple(out)")
        self.lines += [*lines, ""]  # after any nested record's function, which the lines above wrote
        return name

    def sample(self) -> str:
        """Define ``check_sample(item, lo_ts, hi_ts)``: one sample into a Sample (its timestamp ``ts``, its
        scalar fields into ``values``, each list field into the Sample attribute of the same name)."""
        lines: list[str] = []
        emit = lines.append
        emit("def check_sample(item, lo_ts, hi_ts):")
        emit(f"    if type(item) is not dict or not item.keys() <= {self.const(SAMPLE.names)}:")
        emit("        raise _Reject")
        emit("    get = item.get")
        ts, values, lists = "", [], []
        for i, f in enumerate(SAMPLE.fields):
            var = f"v{i}"
            self.check(f, var, "    ", emit)
            if f.kind == "timestamp":
                ts = var
            elif f.kind == "list":
                assert f.name.isidentifier(), f  # a keyword of Sample(...)
                lists.append(f"{f.name}={var}")
            else:
                values.append(f"{f.name!r}: {var}")
        assert ts, "a sample has a timestamp"
        args = [f"ts={ts}", "values={" + ", ".join(values) + "}", *lists]
        emit(f"    return {self.const(Sample)}({', '.join(args)})")
        self.lines += [*lines, ""]
        return "check_sample"

    def compile(self) -> Callable[[Any, int | float, int | float], Sample]:
        entry = self.sample()
        code = compile("\n".join(self.lines), f"<fastcheck of {SAMPLE.name}>", "exec")
        exec(code, self.names)  # noqa: S102 - source written above from the field table, no outside input
        check: Callable[[Any, int | float, int | float], Sample] = self.names[entry]
        return check


class FastCheck:
    def __init__(self, settings: Settings, now: Callable[[], float]):
        self.now = now
        self._report_keys = REPORT.names
        self._meta = _scalars(REPORT.fields, settings)
        self._samples = _length(REPORT.field("samples"), settings)
        self._past, self._future = SAMPLE.field("ts").clock_window(settings)
        source = _Source(settings)
        self._check_sample = source.compile()
        self.source = "\n".join(source.lines)  # for a curious reader: print(FastCheck(...).source)

    def load(self, body: Any) -> tuple[dict[str, Any], list[Sample]] | None:
        """(report fields other than samples, samples), or None to let the schema decide."""
        try:
            return self._load(body)
        except (_Reject, TypeError, ValueError, KeyError, OverflowError):
            return None

    def _load(self, body: Any) -> tuple[dict[str, Any], list[Sample]]:
        if type(body) is not dict or not body.keys() <= self._report_keys:
            raise _Reject
        meta = {name: check(body.get(name, _ABSENT)) for name, check in self._meta}
        raw = self._samples(body.get("samples", _ABSENT))
        t = self.now()
        lo_ts, hi_ts = t - self._past, t + self._future
        check = self._check_sample
        return meta, [check(item, lo_ts, hi_ts) for item in raw]
