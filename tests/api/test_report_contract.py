"""The field table (statusmon.report), the marshmallow schema and the fast path agree on every field.

For each field of each record, probes at and just beyond its bounds, null, absent, a boolean and the wrong
kind are put into an otherwise valid report: the schema and the fast path must both accept exactly what the
table allows, and where they accept, the fast path must build the schema's samples. Settings-given bounds
are probed under small Settings so the lists stay short.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable
from typing import Any

import pytest
from marshmallow import ValidationError

from api.schemas import ReportValidator, to_samples
from statusmon.config import Settings
from statusmon.metrics import SYSTEM_METRIC_NAMES
from statusmon.report import (
    CONTAINER,
    DISK,
    DISKIO,
    GPU,
    GPU_PROCESS,
    NET,
    RECORDS,
    REPORT,
    SAMPLE,
    SAMPLE_METRICS,
    TEMP,
    Field,
    Record,
)
from statusmon.store.base import (
    ContainerSample,
    DiskIoSample,
    DiskSample,
    GpuProcess,
    GpuSample,
    NetSample,
    TempSample,
)

NOW = 1_800_000_000
SETTINGS = Settings(max_mounts=2, max_gpus=2, max_samples_per_batch=3)
ABSENT = object()

# Where one item of each record sits in the base report, and a valid item number i (distinct keys).
PATH: dict[str, list[Any]] = {"report": [], "sample": ["samples", 0], "disk": ["samples", 0, "disks", 0],
                              "gpu": ["samples", 0, "gpus", 0],
                              "gpu_process": ["samples", 0, "gpus", 0, "processes", 0],
                              "net": ["samples", 0, "net", 0], "diskio": ["samples", 0, "diskio", 0],
                              "temp": ["samples", 0, "temps", 0], "container": ["samples", 0, "containers", 0]}
ITEM: dict[str, Callable[[int], dict[str, Any]]] = {
    "sample": lambda i: {"ts": NOW - i},
    "disk": lambda i: {"mount": f"/m{i}", "used_bytes": 1, "total_bytes": 2},
    "gpu": lambda i: {"index": i},
    "gpu_process": lambda i: {"pid": i},
    "net": lambda i: {"iface": f"eth{i}"},
    "diskio": lambda i: {"device": f"sd{i}"},
    "temp": lambda i: {"sensor": "coretemp", "label": f"Core {i}"},
    "container": lambda i: {"id": f"{i:012x}", "name": f"app-{i}"},
}


def base() -> dict[str, Any]:
    return {"agent_version": "0.1.0", "dropped": 0,
            "samples": [{**ITEM["sample"](0), "disks": [ITEM["disk"](0)],
                         "gpus": [{**ITEM["gpu"](0), "processes": [ITEM["gpu_process"](0)]}],
                         "net": [ITEM["net"](0)], "diskio": [ITEM["diskio"](0)], "temps": [ITEM["temp"](0)],
                         "containers": [ITEM["container"](0)]}]}


def probes(f: Field) -> list[tuple[str, Any, bool]]:
    """(label, value, whether the table allows it) at and beyond f's bounds, for null, absence and wrong kinds."""
    lo, hi = f.bounds(SETTINGS)
    out: list[tuple[str, Any, bool]] = [("null", None, f.nullable), ("absent", ABSENT, not f.required),
                                        ("boolean", True, False), ("object", {}, f.kind == "labels")]
    if f.kind == "int":
        assert lo is not None and hi is not None
        out += [("lo", lo, True), ("hi", hi, True), ("below", lo - 1, False), ("above", hi + 1, False),
                ("float", float(lo), False), ("string", str(lo), False)]
    elif f.kind == "float":
        assert lo is not None and hi is not None
        out += [("lo", lo, True), ("hi", hi, True), ("lo as float", float(lo), True),
                ("below", lo - 0.5, False), ("above", hi + 0.5, False), ("NaN", math.nan, False),
                ("infinity", math.inf, False), ("string", "x", False)]
    elif f.kind == "string":
        assert hi is not None
        out += [("shortest", "x" * (lo or 0), True), ("longest", "x" * hi, True),
                ("too long", "x" * (hi + 1), False), ("number", 5, False)]
        if lo:
            out.append(("too short", "x" * (lo - 1), False))
        if f.tag:
            out += [("trailing backslash", "/x\\", False), ("newline", "/x\ny", False), ("DEL", "/x\x7fy", False),
                    ("C1 control", "/x\x85y", False), ("line separator", "/x\u2028y", False),
                    ("paragraph separator", "/x\u2029y", False)]
    elif f.kind == "timestamp":
        past, future = f.clock_window(SETTINGS)
        out += [("oldest", NOW - past, True), ("newest", NOW + future, True), ("too old", NOW - past - 1, False),
                ("too new", NOW + future + 1, False), ("float", float(NOW), False)]
    elif f.kind == "labels":
        assert hi is not None
        most = {f"k{i}": "v" for i in range(hi)}
        out += [("one", {"env": "prod"}, True), ("most", most, True), ("too many", {**most, "zz": "v"}, False),
                ("longest", {"k" * 63: "v" * 63}, True), ("key too long", {"k" * 64: "v"}, False),
                ("value too long", {"k": "v" * 64}, False), ("empty value", {"k": ""}, False),
                ("upper-case key", {"Env": "prod"}, False), ("space in value", {"k": "a b"}, False),
                ("number value", {"k": 5}, False), ("list", ["env=prod"], False)]
    else:
        assert f.kind == "list" and f.item is not None and hi is not None
        item = ITEM[f.item.name]
        out += [("shortest", [item(i) for i in range(lo or 0)], True), ("longest", [item(i) for i in range(hi)], True),
                ("too long", [item(i) for i in range(hi + 1)], False), ("string", "x", False)]
        if lo:
            out.append(("too short", [item(i) for i in range(lo - 1)], False))
        if f.item.key:
            out.append(("a key twice", [item(0), item(0)], False))
    return out


CASES: list[tuple[Record, Field | None, str, Any, bool]] = [
    (r, f, label, value, allowed) for r in RECORDS for f in r.fields for label, value, allowed in probes(f)]
CASES += [(r, None, "unknown key", 1, False) for r in RECORDS]


def put(body: dict[str, Any], record: Record, name: str, value: Any) -> dict[str, Any]:
    target: Any = body
    for key in PATH[record.name]:
        target = target[key]
    if value is ABSENT:
        target.pop(name, None)
    else:
        target[name] = value
    return body


def validator() -> ReportValidator:
    """Built in each test, not once at import: a mutation tool must see the table compiled into checks."""
    return ReportValidator(SETTINGS, now=lambda: NOW)


def schema_accepts(v: ReportValidator, body: dict[str, Any]) -> bool:
    try:
        v.load(body)
    except ValidationError:
        return False
    return True


def schema_result(v: ReportValidator, body: dict[str, Any]) -> Any:
    r = v.load(body)
    return {"agent_version": r.get("agent_version"), "dropped": r.get("dropped"), "labels": r.get("labels")}, \
        to_samples(r)


def test_the_base_report_is_accepted_by_both() -> None:
    v = validator()
    assert schema_accepts(v, base()) and v.fast.load(base()) == schema_result(v, base())


@pytest.mark.parametrize("record,field,label,value,allowed", CASES,
                         ids=[f"{r.name}.{f.name if f else 'unknown'}: {label}" for r, f, label, _, _ in CASES])
def test_schema_and_fast_path_accept_exactly_what_the_table_allows(record: Record, field: Field | None,
                                                                   label: str, value: Any, allowed: bool) -> None:
    body = put(base(), record, field.name if field else "unknown", value if value is ABSENT else copy.deepcopy(value))
    v = validator()
    assert schema_accepts(v, body) == allowed
    fast = v.fast.load(body)
    assert (fast is not None) == allowed
    if allowed:  # and the fast path builds exactly what the schema's result becomes
        assert fast == schema_result(v, body)


def schemas() -> dict[str, Any]:
    """The marshmallow schema of each record, by record name, found by walking the nested lists."""
    out: dict[str, Any] = {}

    def walk(record: Record, schema: Any) -> None:
        out[record.name] = schema
        for f in record.fields:
            if f.item is not None:
                walk(f.item, schema.fields[f.name].inner.schema)
    walk(REPORT, validator().schema)
    return out


def test_the_schema_declares_exactly_the_tables_fields_with_its_optionality() -> None:
    found = schemas()
    assert set(found) == {r.name for r in RECORDS}
    for record in RECORDS:
        declared = found[record.name].fields
        assert set(declared) == record.names, record.name
        for f in record.fields:
            assert (declared[f.name].required, declared[f.name].allow_none) == (f.required, f.nullable), f


def test_metric_fields_come_from_the_catalogue_and_records_match_what_they_build() -> None:
    assert tuple(f.name for f in SAMPLE_METRICS) == SYSTEM_METRIC_NAMES
    assert SAMPLE.names == {"ts", "disks", "gpus", "net", "diskio", "temps", "containers", *SYSTEM_METRIC_NAMES}
    for built, record in ((DiskSample, DISK), (GpuSample, GPU), (GpuProcess, GPU_PROCESS), (NetSample, NET),
                          (DiskIoSample, DISKIO), (TempSample, TEMP), (ContainerSample, CONTAINER)):
        assert [f.name for f in dataclasses.fields(built)] == [f.name for f in record.fields], record.name


# -- what the schema says, and which path samples() takes (each pins a line a mutation test showed unchecked) --

def messages(body: Any) -> Any:
    with pytest.raises(ValidationError) as e:
        validator().load(body)
    return e.value.messages


def test_the_schema_says_why_a_timestamp_or_a_key_is_refused() -> None:
    past, future = SAMPLE.field("ts").clock_window(SETTINGS)
    ahead = put(base(), SAMPLE, "ts", NOW + future + 5)
    assert messages(ahead) == {"samples": {0: {"ts": [
        f"timestamp {NOW + future + 5} is {future + 5} s ahead of the server's clock (at most {future} s allowed): "
        "check the host's clock"]}}}
    old = put(base(), SAMPLE, "ts", NOW - past - 1)
    assert messages(old) == {"samples": {0: {"ts": [f"timestamp {NOW - past - 1} is older than {past} s"]}}}
    twice = put(base(), SAMPLE, "gpus", [ITEM["gpu"](0), ITEM["gpu"](0)])
    assert messages(twice) == {"samples": {0: {"gpus": ["a GPU index appears twice in one sample"]}}}
    twice = put(base(), SAMPLE, "disks", [ITEM["disk"](0), ITEM["disk"](0)])
    assert messages(twice) == {"samples": {0: {"disks": ["a mount appears twice in one sample"]}}}
    assert messages([base()]) == ["the body must be a JSON object"]


def test_a_mount_that_is_no_tag_says_what_is_wrong() -> None:
    bad = put(base(), DISK, "mount", "/x\\")
    (text,) = messages(bad)["samples"][0]["disks"][0]["mount"]
    with pytest.raises(ValueError) as e:
        from statusmon.store.lineprotocol import validate_tag_value

        validate_tag_value("/x\\")
    assert text == str(e.value)


def test_samples_takes_the_fast_path_and_else_the_schemas_verdict() -> None:
    v = validator()
    assert v.samples(base()) == schema_result(v, base())
    # lists absent: the fast path accepts, and the result is the schema's
    body = put(put(base(), SAMPLE, "disks", ABSENT), SAMPLE, "gpus", ABSENT)
    got = v.samples(body)
    assert got == schema_result(v, body) and got[1][0].disks == () and got[1][0].gpus == ()
    body = put(base(), REPORT, "dropped", None)
    assert v.samples(body)[0] == {"agent_version": "0.1.0", "dropped": None, "labels": None}
    with pytest.raises(ValidationError):
        v.samples(put(base(), REPORT, "dropped", -1))
    with pytest.raises(ValidationError):
        v.samples("not a report")


def test_a_report_the_fast_path_accepts_never_reaches_the_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    v = validator()
    expected = schema_result(v, base())

    def schema(body: Any) -> dict[str, Any]:
        raise AssertionError("the schema ran for a report the fast path accepts")

    monkeypatch.setattr(v, "load", schema)
    assert v.samples(base()) == expected


def test_a_report_the_fast_path_declines_and_the_schema_accepts_is_the_schemas() -> None:
    from collections import OrderedDict

    v = validator()
    fast = v.fast.load(base())
    assert fast is not None and fast[0]["agent_version"] == "0.1.0"
    body = OrderedDict(put(put(base(), REPORT, "dropped", 7), REPORT, "labels", {"env": "prod"}))
    assert v.fast.load(body) is None  # a dict, but not the exact type the fast path takes
    meta, samples = v.samples(body)
    assert meta == {**fast[0], "dropped": 7, "labels": {"env": "prod"}} and samples == fast[1]


def test_a_record_names_its_fields_and_refuses_an_unknown_one() -> None:
    assert DISK.field("mount").tag and GPU.field("index").hi == 1023
    with pytest.raises(KeyError, match="disk.nope"):
        DISK.field("nope")
    ts = SAMPLE.field("ts")
    assert ts.bounds(SETTINGS) == (SETTINGS.max_past_seconds, SETTINGS.max_future_seconds)
    assert ts.clock_window(SETTINGS) == (SETTINGS.max_past_seconds, SETTINGS.max_future_seconds)
    assert REPORT.field("samples").bounds(SETTINGS) == (1, 3)


def test_the_latest_view_carries_the_newest_container_list_of_the_batch() -> None:
    from api.views.samples import latest_view
    from statusmon.store.base import Sample

    c = ContainerSample("abc", "web", "nginx", "running", 1.5)
    samples = [Sample(ts=10, values={}, containers=(c,)), Sample(ts=11, values={}),
               Sample(ts=12, values={}, gpus=(GpuSample(0, processes=(GpuProcess(42, "python3", 5),)),))]
    view = latest_view(samples)
    assert view is not None and view["ts"] == 12
    assert view["containers"] == [{"id": "abc", "name": "web", "image": "nginx", "state": "running",
                                   "cpu_percent": 1.5}]
    assert view["containers_ts"] == 10
    assert view["gpus"][0]["processes"] == [{"pid": 42, "name": "python3", "mem_used_bytes": 5}]
    assert "net" not in view  # never sent: absent, as from an older agent


def test_only_a_timestamp_with_both_settings_has_a_clock_window() -> None:
    assert SAMPLE.field("ts").clock_window(SETTINGS) == (SETTINGS.max_past_seconds, SETTINGS.max_future_seconds)
    for f in (SAMPLE.field("disks"),  # a list bounded by a setting
              Field("n", "int", lo_setting="max_past_seconds", hi_setting="max_future_seconds"),  # not a timestamp
              Field("t", "timestamp", hi_setting="max_future_seconds")):  # a timestamp without its past
        with pytest.raises(AssertionError):
            f.clock_window(SETTINGS)


def test_the_fast_path_shows_the_source_it_runs() -> None:
    source = validator().fast.source
    assert source.startswith("def _items_") and "\ndef check_sample(item, lo_ts, hi_ts):\n" in source
    compile(source, "<fastcheck>", "exec")  # whole lines, as written
