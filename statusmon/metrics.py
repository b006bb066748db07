"""The metric catalogue: one place that names every metric, its unit and meaning.

The agent emits these fields, the API validates and stores them, the alerting worker evaluates them, the
Grafana API lists them and the README's metric table is generated from them (a test keeps it in sync).
It imports nothing, so every component (the agent included) can use it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str  # "percent", "bytes", "celsius", "watts"
    description: str
    family: str  # "system" (one value per sample), "disk" (per mount), "gpu" (per GPU)
    integer: bool = False  # stored as an integer field (InfluxDB field types are fixed once written)


# The original six: one value per sample, measurement "system".
SYSTEM_METRICS: tuple[Metric, ...] = (
    Metric("cpu_percent", "percent", "CPU utilisation across all cores", "system"),
    Metric("ram_percent", "percent", "Memory in use (total - available) / total", "system"),
    Metric("disk_percent", "percent", "Used space of the root filesystem", "system"),
    Metric("inode_percent", "percent", "Used inodes of the root filesystem", "system"),
    Metric("docker_bytes", "bytes", "Docker disk usage: images, containers, volumes, build cache", "system",
           integer=True),
    Metric("gpu_percent", "percent", "Mean GPU utilisation across all GPUs", "system"),
)

# Per mount, measurement "disk", tag "mount". *_percent fields are derived by the API at ingest.
DISK_METRICS: tuple[Metric, ...] = (
    Metric("used_bytes", "bytes", "Used space of the mount", "disk", integer=True),
    Metric("total_bytes", "bytes", "Size of the mount", "disk", integer=True),
    Metric("inodes_used", "count", "Used inodes of the mount", "disk", integer=True),
    Metric("inodes_total", "count", "Inodes of the mount", "disk", integer=True),
    Metric("used_percent", "percent", "Used space of the mount in percent", "disk"),
    Metric("inodes_percent", "percent", "Used inodes of the mount in percent", "disk"),
)

# Per GPU, measurement "gpu", tag "gpu" (the NVML index). mem_percent is derived by the API at ingest.
GPU_METRICS: tuple[Metric, ...] = (
    Metric("util_percent", "percent", "GPU utilisation (NVML utilization.gpu)", "gpu"),
    Metric("mem_used_bytes", "bytes", "GPU memory in use", "gpu", integer=True),
    Metric("mem_total_bytes", "bytes", "GPU memory in total", "gpu", integer=True),
    Metric("mem_percent", "percent", "GPU memory in use in percent", "gpu"),
    Metric("temp_c", "celsius", "GPU temperature", "gpu"),
    Metric("power_w", "watts", "GPU power draw", "gpu"),
)

ALL_METRICS: tuple[Metric, ...] = SYSTEM_METRICS + DISK_METRICS + GPU_METRICS
SYSTEM_METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in SYSTEM_METRICS)
DISK_METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in DISK_METRICS)
GPU_METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in GPU_METRICS)

# Families as stored: measurement name and the tag that tells the series of one client apart.
FAMILY_KEY = {"system": None, "disk": "mount", "gpu": "gpu"}
FAMILY_FIELDS = {"system": SYSTEM_METRIC_NAMES, "disk": DISK_METRIC_NAMES, "gpu": GPU_METRIC_NAMES}


def metric(name: str, family: str = "system") -> Metric:
    """The catalogue entry for ``name`` in ``family``; KeyError if there is none."""
    for m in ALL_METRICS:
        if m.name == name and m.family == family:
            return m
    raise KeyError(f"{family}.{name}")


# What alert rules can watch: metric_type -> (family, stored field). Per-mount and per-GPU types fire for the
# mount or GPU that crossed; a rule may narrow them to one mount or one GPU index.
ALERT_METRIC_TYPES: dict[str, tuple[str, str]] = {
    **{m.name: ("system", m.name) for m in SYSTEM_METRICS},
    "mount_used_percent": ("disk", "used_percent"),
    "mount_inodes_percent": ("disk", "inodes_percent"),
    "gpu_util_percent": ("gpu", "util_percent"),
    "gpu_mem_percent": ("gpu", "mem_percent"),
    "gpu_temp_c": ("gpu", "temp_c"),
}
