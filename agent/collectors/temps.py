"""Temperatures: ``temps`` (every hwmon sensor: chip, label, °C) and ``cpu_temp_c`` (the hottest CPU package or
core sensor), from ``psutil.sensors_temperatures()``.

psutil globs and reads a few files per sensor in /sys/class/hwmon (a millisecond or more on a big board), and
temperatures move slowly: the sensors are read every ``READ_SECONDS`` and the last reading rides on the samples
in between. A host without sensors (most VMs) reports no temperature fields, logged once.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from agent.collectors import Fields
from agent.collectors.procfs import load_psutil

if TYPE_CHECKING:
    from agent.config import Config

log = logging.getLogger(__name__)
# hwmon chip names of CPU sensors: Intel, AMD (two drivers), ARM SoCs, the x86 thermal zone
CPU_CHIPS = frozenset({"coretemp", "k10temp", "zenpower", "cpu_thermal", "cpu-thermal", "x86_pkg_temp",
                       "soc_thermal", "cpu0_thermal"})
MAX_TEMPS = 64  # the API's limit per sample
READ_SECONDS = 10.0


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
                 read_seconds: float = READ_SECONDS) -> None:
        self._ps = ps if ps is not None else load_psutil()
        self._clock = clock
        self._read_seconds = read_seconds
        self._last: Fields = {}
        self._read_at = -1e9
        self._logged = False

    def collect(self, now: float) -> Fields:
        mono = self._clock()
        if mono - self._read_at >= self._read_seconds:
            self._read_at = mono
            reader = getattr(self._ps, "sensors_temperatures", None)  # absent on macOS and Windows builds
            self._last = temp_fields(reader() if reader is not None else {})
            if not self._last and not self._logged:
                self._logged = True
                log.info("no temperature sensors found: temperature fields are absent")
        return self._last

    def close(self) -> None:
        pass


def create(config: Config) -> TempsCollector:
    return TempsCollector(load_psutil(config.proc_root))
