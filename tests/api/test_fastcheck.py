"""The fast path accepts nothing the marshmallow schema refuses, and gives the same samples.

Generated payloads: valid ones, and valid ones with one field mutated to something odd (wrong types, out of
range, NaN-ish floats, missing keys, extra keys). For each: if the fast path accepts, the schema must accept
with equal samples. The fast path must also accept the common valid payloads (or it would be no fast path).
"""

from __future__ import annotations

import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from api.schemas import ReportValidator, to_samples
from statusmon.config import Settings

NOW = 1_800_000_000.0
VALIDATOR = ReportValidator(Settings(), now=lambda: NOW)

odd = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
                st.text(max_size=3), st.just("12.5"), st.lists(st.integers(), max_size=2),
                st.dictionaries(st.text(max_size=2), st.integers(), max_size=2))
percent = st.one_of(st.none(), st.floats(0, 100), st.integers(0, 100))
nbytes = st.one_of(st.none(), st.integers(0, 2**62))
disk = st.fixed_dictionaries(
    {"mount": st.text(min_size=1, max_size=20), "used_bytes": st.integers(0, 2**62),
     "total_bytes": st.integers(0, 2**62)},
    optional={"inodes_used": nbytes, "inodes_total": nbytes})
process = st.fixed_dictionaries(
    {"pid": st.integers(0, 2**31)},
    optional={"name": st.one_of(st.none(), st.text(max_size=10)), "mem_used_bytes": nbytes})
gpu = st.fixed_dictionaries(
    {"index": st.integers(0, 1023)},
    optional={"uuid": st.one_of(st.none(), st.text(max_size=10)), "name": st.text(max_size=10),
              "util_percent": percent, "mem_used_bytes": nbytes, "mem_total_bytes": nbytes,
              "temp_c": st.floats(-100, 250), "power_w": st.floats(0, 1000),
              "processes": st.lists(process, max_size=3)})
# Names that are tag-safe on both paths (printable ASCII, no backslash), from a small alphabet so that
# duplicate keys come up too.
tag = st.text(alphabet="ab/0 _-", min_size=1, max_size=4)
rate = st.one_of(st.none(), st.floats(0, 1e9), st.integers(0, 10**9))
net = st.fixed_dictionaries({"iface": tag}, optional={"rx_bytes_per_s": rate, "tx_bytes_per_s": rate,
                                                       "rx_errors_per_s": rate, "tx_errors_per_s": rate})
diskio = st.fixed_dictionaries({"device": tag}, optional={"read_bytes_per_s": rate, "write_iops": rate,
                                                           "busy_percent": percent})
temp = st.fixed_dictionaries({"sensor": tag, "label": tag}, optional={"temp_c": st.floats(-100, 250)})
container = st.fixed_dictionaries(
    {"id": st.text(min_size=1, max_size=8), "name": tag},
    optional={"image": st.one_of(st.none(), st.text(max_size=8)), "state": st.just("running"),
              "cpu_percent": percent, "mem_bytes": nbytes, "restart_count": st.integers(0, 5),
              "net_rx_bytes_per_s": rate})
sample = st.fixed_dictionaries(
    {"ts": st.integers(int(NOW) - 90000, int(NOW) + 300)},
    optional={"cpu_percent": percent, "ram_percent": percent, "disk_percent": percent,
              "inode_percent": percent, "gpu_percent": percent, "docker_bytes": nbytes,
              "load1": st.floats(0, 64), "containers_running": st.integers(0, 100),
              "disks": st.lists(disk, max_size=3), "gpus": st.lists(gpu, max_size=3),
              "net": st.lists(net, max_size=3), "diskio": st.lists(diskio, max_size=2),
              "temps": st.lists(temp, max_size=2), "containers": st.lists(container, max_size=2)})
report = st.fixed_dictionaries({"samples": st.lists(sample, min_size=1, max_size=4)},
                               optional={"agent_version": st.text(max_size=70),
                                         "dropped": st.one_of(st.none(), st.integers(0, 10**6)),
                                         "labels": st.one_of(st.none(), st.dictionaries(
                                             st.from_regex(r"[a-z][a-z0-9_.-]{0,8}", fullmatch=True),
                                             st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.:/-]{0,8}", fullmatch=True),
                                             max_size=4))})


def schema_result(body: Any) -> Any:
    try:
        r = VALIDATOR.load(body)
    except ValidationError:
        return None
    return {"agent_version": r.get("agent_version"), "dropped": r.get("dropped"), "labels": r.get("labels")}, \
        to_samples(r)


def mutate(body: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    import copy

    out = copy.deepcopy(body)
    target: Any = out
    for key in path[:-1]:
        if isinstance(target, list):
            if not target:
                return out
            target = target[key % len(target)]
        elif isinstance(target, dict) and key in target:
            target = target[key]
        else:
            return out
    last = path[-1]
    if isinstance(target, list):
        if not target:
            return out
        target[last % len(target)] = value
    elif value is KeyError:
        target.pop(last, None)
    else:
        target[last] = value
    return out


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(report)
def test_valid_reports_take_the_fast_path_with_the_schemas_result(body: dict[str, Any]) -> None:
    expected = schema_result(body)
    fast = VALIDATOR.fast.load(body)
    if expected is None:
        assert fast is None
        return
    # Duplicate keys (mounts, GPU indexes, pids, names) are the only generated invalid cases; everything else is
    # accepted.
    assert fast == expected


paths = st.sampled_from([
    ["samples", 0, "ts"], ["samples", 0, "cpu_percent"], ["samples", 0, "docker_bytes"], ["samples", 0, "disks"],
    ["samples", 0, "gpus"], ["samples", 0, "disks", 0, "mount"], ["samples", 0, "disks", 0, "used_bytes"],
    ["samples", 0, "disks", 0, "inodes_total"], ["samples", 0, "gpus", 0, "index"],
    ["samples", 0, "gpus", 0, "temp_c"], ["samples", 0, "gpus", 0, "name"], ["samples", 0, "unknown"],
    ["agent_version"], ["dropped"], ["samples"], ["extra"], ["samples", 0],
    ["samples", 0, "gpus", 0, "processes"], ["samples", 0, "gpus", 0, "processes", 0],
    ["samples", 0, "gpus", 0, "processes", 0, "pid"], ["samples", 0, "gpus", 0, "processes", 0, "name"],
    ["samples", 0, "net"], ["samples", 0, "net", 0, "iface"], ["samples", 0, "net", 0, "rx_bytes_per_s"],
    ["samples", 0, "diskio", 0, "busy_percent"], ["samples", 0, "temps", 0, "label"],
    ["samples", 0, "temps", 0, "temp_c"], ["samples", 0, "containers"], ["samples", 0, "containers", 0, "id"],
    ["samples", 0, "containers", 0, "restart_count"], ["samples", 0, "containers", 0, "extra"],
    ["samples", 0, "load1"],
])


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(report, paths, st.one_of(odd, st.just(KeyError)))
def test_whatever_the_fast_path_accepts_the_schema_accepts_equally(body: dict[str, Any], path: list[Any],
                                                                   value: Any) -> None:
    bad = mutate(body, path, value)
    fast = VALIDATOR.fast.load(bad)
    if fast is not None:
        assert schema_result(bad) == fast


def test_a_typical_agent_batch_takes_the_fast_path() -> None:
    ts = int(time.time())
    v = ReportValidator(Settings())
    body = {"agent_version": "0.1.0", "samples": [{"ts": ts, "cpu_percent": 1.5, "docker_bytes": 5,
                                                   "disks": [{"mount": "/", "used_bytes": 1, "total_bytes": 2}]}]}
    assert v.fast.load(body) is not None
