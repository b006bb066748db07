"""GPU collector. No GPU is lent to this test run: NVML is faked at ONE seam, the ``nvml`` module object,
with hand-written values in NVML's types and units for a 2 x H100 host (tests/agent/fixtures.py). Everything
above that seam is real code."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from agent.collectors.gpu import GpuCollector, gpu_entry, mean_util
from tests.agent.fixtures import FakeNVML, Memory, NVMLError


def test_it_reports_every_gpu_and_the_mean_utilisation() -> None:
    fields = GpuCollector(nvml=FakeNVML(fail={"processes"})).collect(0)
    assert fields["gpu_percent"] == 50.0
    assert fields["gpus"][0] == {
        "index": 0,
        "uuid": "GPU-5b8e6a1c-2f1d-4c55-9a0e-0c1a2b3c4d5e",
        "name": "NVIDIA H100 80GB HBM3",
        "util_percent": 87.0,
        "mem_used_bytes": 81150345216,
        "mem_total_bytes": 85520809984,
        "temp_c": 61.0,
        "power_w": 512.345,
    }
    assert fields["gpus"][1]["index"] == 1 and fields["gpus"][1]["power_w"] == 71.204


def test_one_failing_nvml_call_blanks_one_field_not_the_sample() -> None:
    fields = GpuCollector(nvml=FakeNVML(fail={"power"})).collect(0)
    for gpu in fields["gpus"]:
        assert "power_w" not in gpu
        assert gpu["temp_c"] > 0 and "util_percent" in gpu


def test_without_utilisation_there_is_no_mean() -> None:
    fields = GpuCollector(nvml=FakeNVML(fail={"util"})).collect(0)
    assert "gpu_percent" not in fields and len(fields["gpus"]) == 2


def test_no_nvml_means_no_fields_logged_once_and_retried_by_the_scheduled_refresh(
    caplog: pytest.LogCaptureFixture,
) -> None:
    nvml = FakeNVML(init_error=NVMLError("NVML Shared Library Not Found"))
    c = GpuCollector(nvml=nvml, retry_seconds=300)
    assert c.refresh_interval == 300
    with caplog.at_level(logging.INFO):
        assert c.collect(1000) == {}
        assert c.collect(1001) == {}
        c.refresh()  # what the runtime's jobs call every retry_seconds
        assert c.collect(1300) == {}
    assert nvml.init_calls == 2  # at the first sample and at the refresh, never from the 1-second path
    assert sum("no NVML" in r.message for r in caplog.records) == 1
    nvml.init_error = None
    assert c.collect(1301) == {}
    c.refresh()
    assert c.collect(1600)["gpu_percent"] == 50.0  # the driver loaded late: GPUs appear
    c.refresh()
    assert nvml.init_calls == 3  # found: no more probing


def test_gpu_entry_drops_impossible_values() -> None:
    e = gpu_entry(0, "u", "n", {"util": 250, "memory": Memory(0, 0, 5), "temp": float("nan"), "power_mw": -1})
    assert e == {"index": 0, "uuid": "u", "name": "n"}
    assert mean_util([e]) is None


def test_without_the_nvidia_device_node_pynvml_is_not_even_imported(tmp_path: Path) -> None:
    c = GpuCollector(device_node=str(tmp_path / "nvidiactl"))
    assert c.collect(0) == {}
    assert c._nvml is None


def test_gpu_processes_merge_compute_and_graphics_largest_first() -> None:
    from agent.collectors.gpu import gpu_processes
    from tests.agent.fixtures import ProcessInfo

    names = {4242: "python3", 1337: "Xorg"}
    procs = gpu_processes([ProcessInfo(4242, 78_000_000_000), ProcessInfo(5151, 2_000)],
                          [ProcessInfo(1337, 16_777_216), ProcessInfo(5151, 1_000), ProcessInfo(9, None)],
                          names.get)
    assert procs == [
        {"pid": 4242, "name": "python3", "mem_used_bytes": 78_000_000_000},
        {"pid": 1337, "name": "Xorg", "mem_used_bytes": 16_777_216},
        {"pid": 5151, "mem_used_bytes": 2_000},  # in both lists: once, the larger figure; no /proc entry
        {"pid": 9},  # the driver could not tell its memory (usedGpuMemory None)
    ]
    assert gpu_processes(None, [], names.get) == []


def test_each_gpu_lists_its_processes_named_from_the_proc_root(tmp_path: Path) -> None:
    for pid, comm in ((4242, "python3\n"), (1337, "Xorg\n")):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "comm").write_text(comm)
    gpus = GpuCollector(nvml=FakeNVML(), proc_root=str(tmp_path)).collect(0)["gpus"]
    assert gpus[0]["processes"] == [
        {"pid": 4242, "name": "python3", "mem_used_bytes": 78_000_000_000},
        {"pid": 5151, "mem_used_bytes": 2_147_483_648},
        {"pid": 1337, "name": "Xorg", "mem_used_bytes": 16_777_216},
    ]
    assert gpus[1]["processes"] == []


def test_a_driver_without_process_lists_blanks_processes_only() -> None:
    gpus = GpuCollector(nvml=FakeNVML(fail={"processes"})).collect(0)["gpus"]
    assert all("processes" not in g and "util_percent" in g for g in gpus)
