"""Per-GPU utilisation, memory, temperature and power through NVML (nvidia-ml-py), and ``gpu_percent``.

The NVML module is the one seam: ``GpuCollector(nvml=...)`` takes any object with pynvml's function names, so
the tests drive the whole collector with literal values in NVML's types and units. No NVML library, no driver or no GPU
means no GPU fields, logged once; NVML is probed at the first sample and again by ``refresh()``, which the
runtime schedules every ``retry_seconds`` (drivers load late at boot). One failing NVML call blanks one field
of one GPU, not the sample.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from agent.collectors import Fields
from agent.collectors.procfs import read_text

if TYPE_CHECKING:
    from agent.config import Config

log = logging.getLogger(__name__)
MAX_GPUS = 32  # the API's limit per sample
MAX_PROCESSES = 64  # per GPU, the API's limit
NVML_TEMPERATURE_GPU = 0  # pynvml.NVML_TEMPERATURE_GPU


def _text(value: Any) -> str:
    if isinstance(value, bytes):  # nvidia-ml-py < 11.5 returned bytes
        value = value.decode("utf-8", "replace")
    return str(value)[:256]


def read_device(nvml: Any, handle: Any) -> dict[str, Any]:
    """The raw NVML readings of one device; a reading whose call fails is left out."""
    raw: dict[str, Any] = {}
    calls = (
        ("util", lambda: nvml.nvmlDeviceGetUtilizationRates(handle).gpu),
        ("memory", lambda: nvml.nvmlDeviceGetMemoryInfo(handle)),
        ("temp", lambda: nvml.nvmlDeviceGetTemperature(handle, NVML_TEMPERATURE_GPU)),
        ("power_mw", lambda: nvml.nvmlDeviceGetPowerUsage(handle)),
        ("compute", lambda: nvml.nvmlDeviceGetComputeRunningProcesses(handle)),
        ("graphics", lambda: nvml.nvmlDeviceGetGraphicsRunningProcesses(handle)),
    )
    for key, call in calls:
        try:
            raw[key] = call()
        except Exception:  # noqa: BLE001, S112 - NVMLError_NotSupported etc.: this field only
            continue
    return raw


def gpu_entry(index: int, uuid: str, name: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Pure: one ``gpus`` item from raw readings (memory in bytes, power in milliwatts)."""
    entry: dict[str, Any] = {"index": index, "uuid": uuid, "name": name}

    def number(key: str, value: Any, scale: float = 1.0, ndigits: int = 2) -> None:
        if isinstance(value, (int, float)) and math.isfinite(value) and value >= 0:
            entry[key] = round(value * scale, ndigits)

    number("util_percent", raw.get("util"))
    mem = raw.get("memory")
    if mem is not None:
        used, total = getattr(mem, "used", None), getattr(mem, "total", None)
        if isinstance(used, int) and isinstance(total, int) and 0 <= used and total > 0:
            entry["mem_used_bytes"] = used
            entry["mem_total_bytes"] = total
    number("temp_c", raw.get("temp"))
    number("power_w", raw.get("power_mw"), 0.001, 3)
    if isinstance(entry.get("util_percent"), float) and entry["util_percent"] > 100:
        del entry["util_percent"]
    return entry


def gpu_processes(compute: Any, graphics: Any, comm: Callable[[int], str | None]) -> list[dict[str, Any]]:
    """Pure: one GPU's ``processes`` from NVML's running compute and graphics process lists (objects with
    ``pid`` and ``usedGpuMemory`` in bytes, None where the driver cannot tell, as under Windows WDDM or in a
    container without the host's PID namespace). A process in both lists is reported once, with the larger
    figure; ``comm(pid)`` names it (/proc/PID/comm). Ordered by memory, largest first."""
    found: dict[int, int | None] = {}
    for proc in [*(compute or ()), *(graphics or ())]:
        pid = getattr(proc, "pid", None)
        if not isinstance(pid, int) or isinstance(pid, bool) or pid < 0:
            continue
        used = getattr(proc, "usedGpuMemory", None)
        used = used if isinstance(used, int) and not isinstance(used, bool) and used >= 0 else None
        old = found.get(pid)
        found[pid] = used if old is None else max(old, used or 0)
    out: list[dict[str, Any]] = []
    for pid, used in sorted(found.items(), key=lambda kv: (-(kv[1] or 0), kv[0]))[:MAX_PROCESSES]:
        entry: dict[str, Any] = {"pid": pid}
        name = comm(pid)
        if name:
            entry["name"] = name[:200]
        if used is not None:
            entry["mem_used_bytes"] = used
        out.append(entry)
    return out


def mean_util(gpus: list[dict[str, Any]]) -> float | None:
    utils = [g["util_percent"] for g in gpus if "util_percent" in g]
    return round(sum(utils) / len(utils), 2) if utils else None


class GpuCollector:
    name = "gpu"

    def __init__(self, nvml: Any = None, retry_seconds: float = 300.0,
                 device_node: str = "/dev/nvidiactl", proc_root: str = "/proc") -> None:
        self._nvml = nvml
        self._proc_root = proc_root
        self._device_node = device_node
        self._devices: list[tuple[int, Any, str, str]] | None = None  # index, handle, uuid, name
        self._retry_seconds = retry_seconds
        self.refresh_interval = max(1, int(retry_seconds))
        self._tried = False
        self._logged = False

    def refresh(self) -> None:
        """Probe NVML again if it was absent (nothing to do once GPUs are found)."""
        if self._devices is None:
            self._init()

    def _init(self) -> None:
        self._tried = True
        try:
            if self._nvml is None:
                if not os.path.exists(self._device_node):
                    # no NVIDIA driver loaded (or no device passed into this container): skip the import of
                    # pynvml and ctypes, about 2 MiB of resident memory for nothing
                    raise OSError(f"{self._device_node} is absent (no NVIDIA driver)")
                import pynvml  # nvidia-ml-py; imported only when the gpu collector is enabled

                self._nvml = pynvml
            nvml = self._nvml
            nvml.nvmlInit()
            count = min(int(nvml.nvmlDeviceGetCount()), MAX_GPUS)
            devices = []
            for i in range(count):
                handle = nvml.nvmlDeviceGetHandleByIndex(i)
                devices.append((i, handle, _text(nvml.nvmlDeviceGetUUID(handle)),
                                _text(nvml.nvmlDeviceGetName(handle))))
        except Exception as exc:  # noqa: BLE001 - ImportError, NVMLError_LibraryNotFound, DriverNotLoaded...
            if not self._logged:
                self._logged = True
                log.info("no NVML (%s): GPU fields are absent; retrying every %.0f s quietly",
                         exc or type(exc).__name__, self._retry_seconds)
            return
        if not devices and not self._logged:
            self._logged = True
            log.info("NVML found no GPU: GPU fields are absent")
        self._devices = devices

    def collect(self, now: float) -> Fields:
        if self._devices is None:
            if not self._tried:
                self._init()
            if self._devices is None:
                return {}
        gpus = []
        for i, h, uuid, name in self._devices:
            raw = read_device(self._nvml, h)
            entry = gpu_entry(i, uuid, name, raw)
            if "compute" in raw or "graphics" in raw:
                entry["processes"] = gpu_processes(raw.get("compute"), raw.get("graphics"), self._comm)
            gpus.append(entry)
        if not gpus:
            return {}
        fields: Fields = {"gpus": gpus}
        mean = mean_util(gpus)
        if mean is not None:
            fields["gpu_percent"] = mean
        return fields

    def _comm(self, pid: int) -> str | None:
        try:
            return read_text(os.path.join(self._proc_root, str(pid), "comm"), 256).strip() or None
        except OSError:  # gone already, or another PID namespace
            return None

    def close(self) -> None:
        if self._devices is not None and self._nvml is not None:
            try:
                self._nvml.nvmlShutdown()
            except Exception:  # noqa: BLE001, S110 - shutting down anyway
                pass
            self._devices = None


def create(config: Config) -> GpuCollector:
    return GpuCollector(retry_seconds=float(config.slow_interval), proc_root=config.proc_root)
