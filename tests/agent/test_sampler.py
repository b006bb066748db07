"""The sampler: collectors registered in one list and enabled by name, isolated from each other, non-finite
values dropped at the source; the tick grid never drifts."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import pytest

from agent import collectors
from agent.config import load
from agent.sampler import Sampler, clean, next_tick


class Fixed:
    def __init__(self, name: str, fields: dict[str, Any]) -> None:
        self.name, self.fields = name, fields

    def collect(self, now: float) -> dict[str, Any]:
        return self.fields

    def close(self) -> None:
        pass


class Broken(Fixed):
    def collect(self, now: float) -> dict[str, Any]:
        raise OSError("boom")


def test_a_failing_collector_costs_only_its_own_fields(caplog: pytest.LogCaptureFixture) -> None:
    s = Sampler(
        [Fixed("cpu", {"cpu_percent": 5.0}), Broken("gpu", {}), Fixed("memory", {"ram_percent": 7.0})]
    )
    with caplog.at_level(logging.WARNING):
        assert s.sample(100) == {"ts": 100, "cpu_percent": 5.0, "ram_percent": 7.0}
        s.sample(101)
    assert sum("collector gpu failed" in r.message for r in caplog.records) == 1  # logged once
    assert s.stats["gpu"].failures == 2 and not s.stats["gpu"].ok and s.stats["cpu"].ok


def test_non_finite_values_are_dropped_at_the_source() -> None:
    assert clean(
        {
            "a": float("nan"),
            "b": float("inf"),
            "c": 1.5,
            "d": None,
            "gpus": [{"index": 0, "temp_c": float("-inf")}],
        }
    ) == {"c": 1.5, "gpus": [{"index": 0}]}


def test_ticks_are_whole_seconds_and_a_late_tick_skips_instead_of_drifting() -> None:
    assert next_tick(1000.2, 1) == 1001
    assert next_tick(1000.0, 1) == 1001
    assert next_tick(1003.7, 1) == 1004  # sampling took 2.7 s: 1002 and 1003 are skipped, 1004 is on the grid
    assert next_tick(1001.0, 5) == 1005


def test_collectors_are_enabled_by_name_in_registry_order() -> None:
    config = replace(load(environ={"STATUSMON_AGENT_CONFIG": "/dev/null"}), collectors=("memory", "cpu"))
    built = collectors.build(config)
    assert [c.name for c in built] == ["cpu", "memory"]
    assert collectors.COLLECTOR_NAMES == ("cpu", "memory", "disks", "gpu", "docker", "load", "net", "diskio", "temps",
                                          "containers")


def test_sample_json_is_the_cleaned_sample_encoded_whatever_the_collectors_return() -> None:
    from agent.payload import encode_sample

    clean_fields = {"cpu_percent": 5.0, "net": [{"iface": "eno1", "rx_bytes_per_s": 1.5}], "name": "null"}
    dirty = {"gpus": [{"index": 0, "temp_c": float("nan"), "power_w": None}], "load1": float("inf"), "d": None}
    for fields in (clean_fields, dirty, {**clean_fields, **dirty}):
        s = Sampler([Fixed("cpu", fields)])
        body = s.sample_json(7)
        assert body == encode_sample(s.sample(7))
        assert "NaN" not in body and "Infinity" not in body and ":null" not in body
    assert Sampler([Fixed("cpu", dirty)]).sample_json(7) == '{"ts":7,"gpus":[{"index":0}]}'
