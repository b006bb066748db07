"""Load, swap, network, disk I/O and temperatures: the parse functions on literal /proc text and psutil shapes,
the counter-rate rules (first sample, counter going back, vanished interface), and each collector reading a fake
/proc and /sys tree through its injectable roots."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from agent.collectors.diskio import DiskIoCollector, is_whole_disk, parse_diskstats
from agent.collectors.load import LoadCollector, load_fields, parse_loadavg, parse_online
from agent.collectors.memory import MemoryCollector, swap_percent
from agent.collectors.net import NetCollector, is_physical, parse_net_dev
from agent.collectors.rates import CounterRates, rate, total
from agent.collectors.temps import TempsCollector, temp_fields
from tests.agent.fixtures import (
    DISKSTATS_1,
    DISKSTATS_2,
    MEMINFO,
    NET_DEV_1,
    NET_DEV_2,
    NET_DEV_3,
    SENSORS,
    VIRTUAL_MEMORY,
)


class Clock:
    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


# -- rates ---------------------------------------------------------------------------------------------------

def test_a_counter_going_back_gives_no_rate_never_a_negative_or_a_spike() -> None:
    assert rate(100, 300, 2.0) == 100.0
    assert rate(300, 100, 2.0) is None
    assert rate(100, 300, 0.0) is None


def test_the_first_reading_gives_nothing_and_vanished_keys_are_forgotten() -> None:
    r = CounterRates()
    assert r.update(0, {"a": (10, 20), "b": (0, 0)}) == {}
    assert r.update(2, {"a": (30, 20)}) == {"a": (10.0, 0.0)}
    assert r.update(3, {"a": (40, 20), "b": (5, 5)}) == {"a": (10.0, 0.0)}  # b came back: first reading again
    rates = r.update(4, {"a": (50, 10), "b": (10, 10)})
    assert rates == {"a": (10.0, None), "b": (5.0, 5.0)}
    assert total(rates, 0) == 15.0 and total(rates, 1) is None  # a partial sum would read as a drop
    assert total({}, 0) is None


# -- load and swap -------------------------------------------------------------------------------------------

def test_loadavg_and_the_online_cpu_list() -> None:
    assert parse_loadavg("0.52 1.58 12.59 2/1234 56789\n") == (0.52, 1.58, 12.59)
    assert parse_online("0-3,6,8-9\n") == 7 and parse_online("0\n") == 1
    assert load_fields((6.0, 5.0, 4.0), 4) == {"load1": 6.0, "load5": 5.0, "load15": 4.0, "load1_per_core": 1.5}
    assert "load1_per_core" not in load_fields((1.0, 1.0, 1.0), None)


def test_load_collector_reads_the_injected_proc_root(tmp_path: Path) -> None:
    (tmp_path / "loadavg").write_text("3.20 2.10 1.00 4/900 4242\n")
    assert LoadCollector(str(tmp_path), cpus=8).collect(0) == {
        "load1": 3.2, "load5": 2.1, "load15": 1.0, "load1_per_core": 0.4}


def test_swap_percent_from_meminfo() -> None:
    with_swap = MEMINFO + "SwapTotal:       4194304 kB\nSwapFree:        3145728 kB\n"
    assert swap_percent(with_swap) == 25.0
    assert swap_percent(MEMINFO + "SwapTotal:             0 kB\nSwapFree:              0 kB\n") is None
    assert swap_percent(MEMINFO) is None


def test_memory_collector_adds_swap_only_where_there_is_swap(tmp_path: Path) -> None:
    ps = SimpleNamespace(virtual_memory=lambda: VIRTUAL_MEMORY)
    (tmp_path / "meminfo").write_text(MEMINFO + "SwapTotal: 1000 kB\nSwapFree: 900 kB\n")
    assert MemoryCollector(ps, str(tmp_path)).collect(0) == {"ram_percent": 50.0, "swap_percent": 10.0}
    (tmp_path / "meminfo").write_text(MEMINFO)
    assert MemoryCollector(ps, str(tmp_path)).collect(0) == {"ram_percent": 50.0}


# -- network -------------------------------------------------------------------------------------------------

def test_parse_net_dev() -> None:
    dev = parse_net_dev(NET_DEV_1)
    assert dev["eno1"] == (1000000000, 200000000, 5, 1)
    assert set(dev) == {"lo", "eno1", "eno2", "docker0", "veth1a2b3c"}


def test_loopback_bridges_and_veths_are_not_physical() -> None:
    assert [i for i in parse_net_dev(NET_DEV_1) if is_physical(i, frozenset())] == ["eno1", "eno2"]
    assert not is_physical("bond0", frozenset({"bond0"}))  # sysfs lists it under devices/virtual/net


def _net_tree(tmp_path: Path, text: str) -> None:
    (tmp_path / "proc" / "net").mkdir(parents=True, exist_ok=True)
    (tmp_path / "proc" / "net" / "dev").write_text(text)
    (tmp_path / "sys" / "devices" / "virtual" / "net" / "lo").mkdir(parents=True, exist_ok=True)


def test_net_collector_rates_between_samples_with_a_reset_and_a_vanished_interface(tmp_path: Path) -> None:
    clock = Clock()
    _net_tree(tmp_path, NET_DEV_1)
    c = NetCollector(str(tmp_path / "proc"), clock=clock)
    assert c.collect(0) == {}  # the first sample has no rates
    clock.t += 2
    _net_tree(tmp_path, NET_DEV_2)
    fields = c.collect(2)
    assert fields["net"] == [
        {"iface": "eno1", "rx_bytes_per_s": 1_000_000.0, "tx_bytes_per_s": 200_000.0, "rx_errors_per_s": 1.0,
         "tx_errors_per_s": 0.0},
        {"iface": "eno2", "rx_bytes_per_s": 500.0, "tx_bytes_per_s": 500.0, "rx_errors_per_s": 0.0,
         "tx_errors_per_s": 0.0},
    ]
    assert (fields["net_rx_bytes_per_s"], fields["net_tx_bytes_per_s"]) == (1_000_500.0, 200_500.0)
    clock.t += 1
    _net_tree(tmp_path, NET_DEV_3)
    fields = c.collect(3)
    eno2 = fields["net"][1]
    assert eno2 == {"iface": "eno2", "rx_errors_per_s": 0.0, "tx_errors_per_s": 0.0}  # counters went back
    assert "net_rx_bytes_per_s" not in fields  # no sum rather than a dip
    clock.t += 1
    _net_tree(tmp_path, "\n".join(line for line in NET_DEV_3.splitlines() if "eno2" not in line))
    fields = c.collect(4)
    assert [n["iface"] for n in fields["net"]] == ["eno1"]  # vanished: gone, not frozen
    assert fields["net_rx_bytes_per_s"] == 0.0


# -- disk I/O ------------------------------------------------------------------------------------------------

def test_parse_diskstats_and_whole_disks() -> None:
    stats = parse_diskstats(DISKSTATS_1)
    assert stats["nvme0n1"] == (8000000, 4000000, 100000, 50000, 120000)
    by_name = [d for d in stats if is_whole_disk(d, frozenset())]
    assert by_name == ["nvme0n1", "sda"]  # partitions by name, loop and dm skipped
    assert [d for d in stats if is_whole_disk(d, frozenset({"nvme0n1", "sda", "loop0"}))] == ["nvme0n1", "sda"]


def test_diskio_collector_rates_busy_share_and_a_counter_reset(tmp_path: Path) -> None:
    clock = Clock()
    proc = tmp_path / "proc"
    proc.mkdir()
    block = tmp_path / "sys" / "block"
    for name in ("nvme0n1", "sda", "loop0"):
        (block / name).mkdir(parents=True)
    (proc / "diskstats").write_text(DISKSTATS_1)
    c = DiskIoCollector(str(proc), clock=clock)
    assert c.collect(0) == {}
    clock.t += 1
    (proc / "diskstats").write_text(DISKSTATS_2)
    fields = c.collect(1)
    assert fields["diskio"][0] == {"device": "nvme0n1", "read_bytes_per_s": 1_048_576.0,
                                   "write_bytes_per_s": 2_097_152.0, "read_iops": 100.0, "write_iops": 50.0,
                                   "busy_percent": 50.0}
    assert fields["diskio"][1]["device"] == "sda" and fields["diskio"][1]["read_bytes_per_s"] == 0.0
    assert fields["disk_read_bytes_per_s"] == 1_048_576.0 and fields["disk_write_bytes_per_s"] == 2_097_152.0
    clock.t += 1
    (proc / "diskstats").write_text(DISKSTATS_1)  # the counters went back (a reboot seen by a kept agent)
    fields = c.collect(2)
    assert fields["diskio"][0] == {"device": "nvme0n1"}
    assert "disk_read_bytes_per_s" not in fields


# -- temperatures --------------------------------------------------------------------------------------------

def test_temp_fields_from_psutil_shapes() -> None:
    fields = temp_fields(SENSORS)
    assert fields["cpu_temp_c"] == 57.0  # the hottest CPU sensor
    assert fields["temps"] == [
        {"sensor": "acpitz", "label": "acpitz", "temp_c": 27.8},
        {"sensor": "coretemp", "label": "Package id 0", "temp_c": 54.0},
        {"sensor": "coretemp", "label": "Core 0", "temp_c": 51.0},
        {"sensor": "coretemp", "label": "Core 1", "temp_c": 57.0},
        {"sensor": "nvme", "label": "Composite", "temp_c": 38.9},
        {"sensor": "nvme", "label": "Composite #2", "temp_c": 41.9},
    ]  # the disconnected probe (-128 °C) is left out
    assert temp_fields({}) == {}
    assert "cpu_temp_c" not in temp_fields({"nvme": SENSORS["nvme"]})


def test_temps_are_read_every_few_seconds_and_ride_on_the_samples_between(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = []

    def sensors() -> dict:
        calls.append(1)
        return SENSORS

    clock = Clock()
    c = TempsCollector(SimpleNamespace(sensors_temperatures=sensors), clock=clock, read_seconds=10)
    first = c.collect(0)
    for i in range(9):
        clock.t += 1
        assert c.collect(i) == first
    assert len(calls) == 1
    clock.t += 1
    c.collect(10)
    assert len(calls) == 2
    assert TempsCollector(SimpleNamespace(), clock=clock).collect(0) == {}  # a psutil without sensors


def _hwmon(root: Path, n: int, chip: str, sensors: dict[str, tuple[str | None, str]], device: bool = False) -> None:
    d = root / "class" / "hwmon" / f"hwmon{n}"
    d = d / "device" if device else d
    d.mkdir(parents=True)
    (d / "name").write_text(chip + "\n")
    for stem, (label, millis) in sensors.items():
        (d / f"{stem}_input").write_text(millis + "\n")
        (d / f"{stem}_max").write_text("80000\n")  # psutil reads these; the agent does not need them
        if label is not None:
            (d / f"{stem}_label").write_text(label + "\n")


def test_temps_from_a_sysfs_tree_as_psutil_shapes_them(tmp_path: Path) -> None:
    _hwmon(tmp_path, 0, "acpitz", {"temp1": (None, "27800")})
    _hwmon(tmp_path, 1, "coretemp", {"temp1": ("Package id 0", "54000"), "temp2": ("Core 0", "51000"),
                                     "temp3": ("Core 1", "57000")})
    _hwmon(tmp_path, 2, "nvme", {"temp1": ("Composite", "38850"), "temp2": ("Composite", "41850")}, device=True)
    _hwmon(tmp_path, 3, "it8721", {"temp3": ("temp3", "-128000")})
    clock = Clock()
    c = TempsCollector(clock=clock, sys_root=str(tmp_path))
    assert c.collect(0) == temp_fields(SENSORS)  # the same fields as from psutil's shapes of these sensors
    # later reads open only the inputs: a new value is seen, a label changed without a new walk is not
    (tmp_path / "class" / "hwmon" / "hwmon1" / "temp3_input").write_text("61000\n")
    (tmp_path / "class" / "hwmon" / "hwmon1" / "temp3_label").write_text("renamed\n")
    clock.t += 10
    fields = c.collect(10)
    assert fields["cpu_temp_c"] == 61.0
    assert {"sensor": "coretemp", "label": "Core 1", "temp_c": 61.0} in fields["temps"]
    # a chip that went away: walked again at once, its sensors gone rather than frozen
    for f in (tmp_path / "class" / "hwmon" / "hwmon1").iterdir():
        f.unlink()
    (tmp_path / "class" / "hwmon" / "hwmon1").rmdir()
    clock.t += 10
    fields = c.collect(20)
    assert "cpu_temp_c" not in fields and {t["sensor"] for t in fields["temps"]} == {"acpitz", "nvme"}


def test_temps_fall_back_to_thermal_zones_without_hwmon(tmp_path: Path) -> None:
    zone = tmp_path / "class" / "thermal" / "thermal_zone0"
    zone.mkdir(parents=True)
    (zone / "type").write_text("x86_pkg_temp\n")
    (zone / "temp").write_text("45000\n")
    assert TempsCollector(clock=Clock(), sys_root=str(tmp_path)).collect(0) == {
        "temps": [{"sensor": "x86_pkg_temp", "label": "x86_pkg_temp", "temp_c": 45.0}], "cpu_temp_c": 45.0}
    assert TempsCollector(clock=Clock(), sys_root=str(tmp_path / "none")).collect(0) == {}


def test_loadavg_is_read_every_five_seconds_as_the_kernel_updates_it(tmp_path: Path) -> None:
    clock = Clock()
    (tmp_path / "loadavg").write_text("1.00 1.00 1.00 1/1 1\n")
    c = LoadCollector(str(tmp_path), cpus=1, clock=clock)
    assert c.collect(0)["load1"] == 1.0
    (tmp_path / "loadavg").write_text("2.00 1.00 1.00 1/1 1\n")
    clock.t += 4
    assert c.collect(4)["load1"] == 1.0  # the last reading rides on the samples between
    clock.t += 1
    assert c.collect(5)["load1"] == 2.0
