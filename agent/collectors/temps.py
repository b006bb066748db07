"""Temperatures: ``temps`` (every hwmon sensor: chip, label, °C) and ``cpu_temp_c`` (the hottest CPU package or
core sensor), from /sys/class/hwmon as ``psutil.sensors_temperatures()`` reads it.

psutil globs the hwmon tree and reads four files per sensor (input, max, crit, label) and the chip's name on
every call (a millisecond or more on a big board). The agent walks the tree once (again every
``DISCOVER_SECONDS``, or when a sensor's file is gone) and then reads only each sensor's ``temp*_input``; chip
names and labels are kept from the walk. Temperatures move slowly: they are read every ``READ_SECONDS`` and the
last reading rides on the samples in between. Where hwmon has no temperature, the thermal zones
(/sys/class/thermal, psutil's fallback too) are read instead. A host without sensors (most VMs) reports no
temperature fields, logged once.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from agent.collectors import Fields
from agent.collectors.procfs import read_text, sys_root_for

if TYPE_CHECKING:
    from agent.config import Config

log = logging.getLogger(__name__)
# hwmon chip names of CPU sensors: Intel, AMD (two drivers), ARM SoCs, the x86 thermal zone
CPU_CHIPS = frozenset({"coretemp", "k10temp", "zenpower", "cpu_thermal", "cpu-thermal", "x86_pkg_temp",
                       "soc_thermal", "cpu0_thermal"})
MAX_TEMPS = 64  # the API's limit per sample
READ_SECONDS = 10.0
DISCOVER_SECONDS = 300.0  # sensors appear when a driver loads (boot, a module loaded later)


class Reading(NamedTuple):
    """One sensor's reading, in the shape temp_fields reads (psutil's ``shwtemp`` has these two and more)."""

    label: str
    current: float


class Sensor(NamedTuple):
    chip: str
    label: str
    path: str  # the file holding millidegrees Celsius


def _cat(path: str) -> str:
    try:
        return read_text(path, 4096).strip()
    except OSError:
        return ""


def _sorted_dir(path: str) -> list[str]:
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def discover(sys_root: str) -> list[Sensor]:
    """The temperature sensors under ``sys_root`` (``/sys``): every hwmon ``temp*_input`` (also in the
    chip's ``device/`` directory, as older kernels place them), its chip from ``name`` and its label from
    ``temp*_label``; without any, the thermal zones (chip from ``type``, no label). In psutil's order."""
    sensors: list[Sensor] = []
    hwmon = os.path.join(sys_root, "class", "hwmon")
    for entry in _sorted_dir(hwmon):
        if not entry.startswith("hwmon"):
            continue
        for base in (os.path.join(hwmon, entry, "device"), os.path.join(hwmon, entry)):  # psutil sorts so
            inputs = [n for n in _sorted_dir(base) if n.startswith("temp") and n.endswith("_input")]
            if not inputs:
                continue
            chip = _cat(os.path.join(base, "name"))
            for name in inputs:
                stem = name[:-len("_input")]
                sensors.append(Sensor(chip, _cat(os.path.join(base, stem + "_label")), os.path.join(base, name)))
    if sensors:
        return sensors
    thermal = os.path.join(sys_root, "class", "thermal")
    for entry in _sorted_dir(thermal):
        if entry.startswith("thermal_zone"):
            base = os.path.join(thermal, entry)
            sensors.append(Sensor(_cat(os.path.join(base, "type")), "", os.path.join(base, "temp")))
    return sensors


def read_sensors(sensors: Sequence[Sensor]) -> tuple[dict[str, list[Reading]], bool]:
    """Pure but for the reads: {chip: [Reading]} as ``psutil.sensors_temperatures()`` has it, and whether
    every sensor's file was still there (False: walk the tree again)."""
    out: dict[str, list[Reading]] = {}
    complete = True
    for s in sensors:
        try:
            value = int(read_text(s.path, 64).strip()) / 1000.0
        except FileNotFoundError:
            complete = False
            continue
        except (OSError, ValueError):  # a sensor that cannot be read now (ENODATA, EIO): this reading only
            continue
        out.setdefault(s.chip, []).append(Reading(s.label, value))
    return out, complete


def temp_fields(sensors: Mapping[str, Sequence[Any]]) -> Fields:
    """Pure: the wire fields from ``psutil.sensors_temperatures()`` ({chip: [shwtemp(label, current, high,
    critical)]}). An unlabelled sensor is named by its chip; a repeated label gets `` #2``, `` #3``. Readings
    outside -100..250 °C (a disconnected probe reads -128 or 255) are left out."""
    temps: list[dict[str, Any]] = []
    cpu: float | None = None
    for chip in sorted(sensors):
        seen: dict[str, int] = {}
        for reading in sensors[chip]:
            value = getattr(reading, "current", None)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or not -100 < value < 250:
                continue
            label = str(getattr(reading, "label", "") or chip)[:200].strip() or chip
            seen[label] = seen.get(label, 0) + 1
            if seen[label] > 1:
                label = f"{label} #{seen[label]}"
            temp = round(float(value), 1)
            temps.append({"sensor": chip[:200], "label": label, "temp_c": temp})
            if chip in CPU_CHIPS:
                cpu = temp if cpu is None else max(cpu, temp)
    fields: Fields = {}
    if temps:
        fields["temps"] = temps[:MAX_TEMPS]
    if cpu is not None:
        fields["cpu_temp_c"] = cpu
    return fields


class TempsCollector:
    name = "temps"

    def __init__(self, ps: Any = None, clock: Callable[[], float] = time.monotonic,
                 read_seconds: float = READ_SECONDS, sys_root: str = "/sys") -> None:
        self._ps = ps  # an injected psutil (tests): its sensors_temperatures() instead of the hwmon walk
        self._clock = clock
        self._read_seconds = read_seconds
        self._sys_root = sys_root
        self._sensors: list[Sensor] = []
        self._discovered_at = -1e9
        self._last: Fields = {}
        self._read_at = -1e9
        self._logged = False

    def _read(self, mono: float) -> Mapping[str, Sequence[Any]]:
        if self._ps is not None:
            reader = getattr(self._ps, "sensors_temperatures", None)  # absent on macOS and Windows builds
            return reader() if reader is not None else {}
        if mono - self._discovered_at >= DISCOVER_SECONDS:
            self._sensors, self._discovered_at = discover(self._sys_root), mono
        readings, complete = read_sensors(self._sensors)
        if not complete:  # a chip went away (a driver unloaded, a disk removed): walk again
            self._sensors, self._discovered_at = discover(self._sys_root), mono
            readings, _ = read_sensors(self._sensors)
        return readings

    def collect(self, now: float) -> Fields:
        mono = self._clock()
        if mono - self._read_at >= self._read_seconds:
            self._read_at = mono
            self._last = temp_fields(self._read(mono))
            if not self._last and not self._logged:
                self._logged = True
                log.info("no temperature sensors found: temperature fields are absent")
        return self._last

    def close(self) -> None:
        pass


def create(config: Config) -> TempsCollector:
    return TempsCollector(sys_root=sys_root_for(config.proc_root))
