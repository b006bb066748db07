"""CPU and memory collectors: pure arithmetic on literal psutil results, the collectors on a fake psutil, and
real psutil reading a fake /proc (the ``proc_root`` setting)."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import psutil
import pytest

from agent.collectors.cpu import CpuCollector, CpuTimes, busy_and_total, cpu_percent, stat_times
from agent.collectors.memory import MemoryCollector, ram_percent
from agent.collectors.procfs import load_psutil
from tests.agent.fixtures import CPU_TIMES_1, CPU_TIMES_2, MEMINFO, PROC_STAT_1, VIRTUAL_MEMORY


def test_it_counts_idle_and_iowait_as_not_busy_and_guest_once() -> None:
    t = busy_and_total(CPU_TIMES_1)
    assert t.busy == pytest.approx(47.05 + 1.5 + 11.2 + 0.25 + 0.2)
    assert t.total == pytest.approx(47.05 + 1.5 + 11.2 + 162.5 + 5.2 + 0.25 + 0.2)


def test_cpu_percent_is_the_busy_share_between_two_readings() -> None:
    # busy +1.6 s (user 1.0, system 0.5, softirq 0.1), total +4.7 s (idle 2.9, iowait 0.2): guest is in user
    assert cpu_percent(busy_and_total(CPU_TIMES_1), busy_and_total(CPU_TIMES_2)) == round(100 * 1.6 / 4.7, 2)


def test_cpu_percent_is_none_when_no_time_passed_or_counters_went_back() -> None:
    a = CpuTimes(10, 100)
    assert cpu_percent(a, a) is None
    assert cpu_percent(a, CpuTimes(5, 50)) is None


def test_fields_an_old_kernel_lacks_count_as_zero() -> None:
    old = SimpleNamespace(user=1.0, nice=0.0, system=1.0, idle=8.0, irq=0.0, softirq=0.0)  # no iowait, steal
    assert busy_and_total(old) == CpuTimes(2.0, 10.0)


def test_ram_percent_is_total_minus_available_over_total() -> None:
    assert ram_percent(VIRTUAL_MEMORY) == 50.0
    assert ram_percent(VIRTUAL_MEMORY._replace(available=VIRTUAL_MEMORY.total // 3)) == 66.67  # 2 decimals
    assert ram_percent(VIRTUAL_MEMORY._replace(total=0)) is None


def test_collectors_on_a_fake_psutil(tmp_path: Path) -> None:
    times = iter([CPU_TIMES_1, CPU_TIMES_2, CPU_TIMES_2])
    ps = SimpleNamespace(cpu_times=lambda: next(times), virtual_memory=lambda: VIRTUAL_MEMORY)
    cpu = CpuCollector(ps)
    assert cpu.collect(0) == {"cpu_percent": 34.04}
    assert cpu.collect(1) == {}  # no time passed: no value rather than a made-up 0
    # a kernel before 3.14 has no MemAvailable: psutil estimates it
    (tmp_path / "meminfo").write_text(MEMINFO.replace("MemAvailable:", "MemAvailableNot:"))
    assert MemoryCollector(ps, str(tmp_path)).collect(0)["ram_percent"] == 50.0


def test_memory_reads_meminfo_itself_and_psutil_only_without_mem_available(tmp_path: Path) -> None:
    def unused() -> None:
        raise AssertionError("psutil.virtual_memory called although MemAvailable is there")

    (tmp_path / "meminfo").write_text(MEMINFO)
    c = MemoryCollector(SimpleNamespace(virtual_memory=unused), str(tmp_path))
    assert c.collect(0) == {"ram_percent": 50.0}
    # the file is kept open and read again: a new content is seen by the same collector
    (tmp_path / "meminfo").write_text(MEMINFO.replace("8159206", "4079603") + "SwapTotal: 1000 kB\nSwapFree: 250 kB\n")
    assert c.collect(1) == {"ram_percent": 75.0, "swap_percent": 75.0}
    c.close()


def test_real_psutil_reads_an_injected_proc_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(psutil, "PROCFS_PATH", psutil.PROCFS_PATH)  # restored after the test
    (tmp_path / "stat").write_text(PROC_STAT_1)
    (tmp_path / "meminfo").write_text(MEMINFO)
    ps = load_psutil(str(tmp_path))
    assert ps.cpu_times().user == pytest.approx(4705 / os.sysconf("SC_CLK_TCK"))
    vm = ps.virtual_memory()
    assert isinstance(vm.total, int) and (vm.total, vm.available) == (16318412 * 1024, 8159206 * 1024)
    assert MemoryCollector(ps, str(tmp_path)).collect(0) == {"ram_percent": 50.0}  # no swap in MEMINFO


def test_cpu_collector_reads_proc_stat_as_psutil_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(psutil, "PROCFS_PATH", psutil.PROCFS_PATH)  # restored after the test
    second = "cpu  4805 150 1170 16540 540 25 30 0 10 0\ncpu0 2400 75 585 8270 270 12 15 0 5 0\nintr 1 2 3\n"
    (tmp_path / "stat").write_text(PROC_STAT_1)
    ps = load_psutil(str(tmp_path))
    ours, theirs = CpuCollector(proc_root=str(tmp_path)), CpuCollector(ps)
    (tmp_path / "stat").write_text(second)  # same inode: the kept-open file sees it
    assert ours.collect(1) == theirs.collect(1) == {"cpu_percent": round(100 * 160 / 470, 2)}
    assert ours.collect(2) == {}  # no time passed
    ours.close()
    with pytest.raises(ValueError):
        stat_times("intr 1 2 3\n")
