"""CPU and memory collectors: pure parsers on literal /proc text, collectors on a fake /proc tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.collectors.cpu import CpuCollector, CpuTimes, cpu_percent, parse_stat_line
from agent.collectors.memory import MemoryCollector, parse_meminfo, ram_percent
from tests.agent.fixtures import MEMINFO, PROC_STAT_1, PROC_STAT_2


def test_it_counts_idle_and_iowait_as_not_busy_and_guest_once() -> None:
    t = parse_stat_line(PROC_STAT_1.splitlines()[0])
    assert t == CpuTimes(busy=4705 + 150 + 1120 + 25 + 20, total=4705 + 150 + 1120 + 16250 + 520 + 25 + 20)


def test_cpu_percent_is_the_busy_share_between_two_readings() -> None:
    a = parse_stat_line(PROC_STAT_1.splitlines()[0])
    b = parse_stat_line(PROC_STAT_2.splitlines()[0])
    # busy +160 (user 100, system 50, softirq 10), total +470 (idle 290, iowait 20): guest is inside user
    assert cpu_percent(a, b) == round(100 * 160 / 470, 2)


def test_cpu_percent_is_none_when_no_time_passed_or_counters_went_back() -> None:
    a = CpuTimes(10, 100)
    assert cpu_percent(a, a) is None
    assert cpu_percent(a, CpuTimes(5, 50)) is None


def test_it_refuses_a_line_that_is_not_the_aggregate() -> None:
    with pytest.raises(ValueError):
        parse_stat_line("cpu0 1 2 3 4")


def test_ram_percent_is_total_minus_available_over_total() -> None:
    info = parse_meminfo(MEMINFO)
    assert info["MemTotal"] == 16318412
    assert ram_percent(info) == 50.0


def test_ram_percent_falls_back_to_free_buffers_cached_on_old_kernels() -> None:
    info = {"MemTotal": 1000, "MemFree": 100, "Buffers": 50, "Cached": 250}
    assert ram_percent(info) == 60.0
    assert ram_percent({}) is None


def test_collectors_read_an_injected_proc_root(tmp_path: Path) -> None:
    (tmp_path / "stat").write_text(PROC_STAT_1)
    (tmp_path / "meminfo").write_text(MEMINFO)
    cpu = CpuCollector(str(tmp_path))
    (tmp_path / "stat").write_text(PROC_STAT_2)
    assert cpu.collect(0) == {"cpu_percent": 34.04}
    assert cpu.collect(1) == {}  # no jiffies passed: no value rather than a made-up 0
    assert MemoryCollector(str(tmp_path)).collect(0) == {"ram_percent": 50.0}
