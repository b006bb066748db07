"""The metric catalogue: one place that names every metric, its unit, meaning and labels.

The agent emits these fields, the API validates and stores them, the alerting worker evaluates them and words
its notifications with their labels, the Grafana API lists them. Generated from them, with a test keeping each
in sync: the README's metric table, the dashboard's metric list (dashboards/web/src/catalogue.gen.ts, written
by ``python dashboards/web/gen_catalogue.py``) and the Grafana dashboards (dashboards/grafana/generate.py).
It imports nothing, so every component (the agent included) can use it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Alerting:
    """How alert rules watch a metric and how people read it.

    ``label`` names it in the threshold editor ("CPU %", "Any mount: space %"); ``headline`` is the subject of
    a notification's headline, with ``{key}`` standing for the mount or GPU index that crossed ("GPU {key}
    temperature"). ``metric_type`` is the name rules use; empty for a system metric, whose own name it is.
    """

    label: str
    headline: str
    metric_type: str = ""


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str  # "percent", "bytes", "celsius", "watts", "count"
    description: str
    family: str  # "system" (one value per sample), "disk" (per mount), "gpu" (per GPU)
    integer: bool = False  # stored as an integer field (InfluxDB field types are fixed once written)
    label: str = ""  # short, on the dashboard's cards and charts (system metrics; the others show their key)
    title: str = ""  # a chart's title in the Grafana dashboards ("" where no chart shows the metric alone)
    alerting: Alerting | None = None  # None: alert rules cannot watch it
    # Kept in the rollup tiers (minute and hour buckets, statusmon/store/tiers.py) beside the raw samples.
    rollup: bool = False

    @property
    def alert_type(self) -> str | None:
        """The ``metric_type`` alert rules use for this metric, or None if they cannot watch it."""
        if self.alerting is None:
            return None
        return self.alerting.metric_type or self.name


# One value per sample, measurement "system". Each metric is a name of its own so that the Grafana generator
# and the tests can refer to it without spelling its field.
CPU_PERCENT = Metric("cpu_percent", "percent", "CPU utilisation across all cores", "system",
                     label="CPU", title="CPU", alerting=Alerting("CPU %", "CPU"), rollup=True)
RAM_PERCENT = Metric("ram_percent", "percent", "Memory in use (total - available) / total", "system",
                     label="RAM", title="Memory", alerting=Alerting("RAM %", "Memory"), rollup=True)
DISK_PERCENT = Metric("disk_percent", "percent", "Used space of the root filesystem, as df(1): used / (used + avail)",
                      "system",
                      label="Disk /", title="Root disk used", alerting=Alerting("Disk / %", "Disk /"), rollup=True)
INODE_PERCENT = Metric("inode_percent", "percent", "Used inodes of the root filesystem", "system",
                       label="Inodes /", title="Root inodes used", alerting=Alerting("Inodes / %", "Inodes /"),
                       rollup=True)
DOCKER_BYTES = Metric("docker_bytes", "bytes", "Docker disk usage: images, containers, volumes, build cache",
                      "system", integer=True, label="Docker", title="Docker disk usage",
                      alerting=Alerting("Docker bytes", "Docker disk usage"), rollup=True)
GPU_PERCENT = Metric("gpu_percent", "percent", "Mean GPU utilisation across all GPUs", "system",
                     label="GPU", title="GPU utilisation (mean of GPUs)",
                     alerting=Alerting("GPU (mean) %", "GPU (mean)"), rollup=True)
SYSTEM_METRICS: tuple[Metric, ...] = (CPU_PERCENT, RAM_PERCENT, DISK_PERCENT, INODE_PERCENT, DOCKER_BYTES,
                                      GPU_PERCENT)

# Per mount, measurement "disk", tag "mount". *_percent fields are derived by the API at ingest.
MOUNT_USED_BYTES = Metric("used_bytes", "bytes", "Used space of the mount", "disk", integer=True)
MOUNT_TOTAL_BYTES = Metric("total_bytes", "bytes", "Size of the mount", "disk", integer=True)
MOUNT_AVAIL_BYTES = Metric("avail_bytes", "bytes", "Space of the mount available to unprivileged users "
                           "(df's Avail; total - used - avail is reserved for root)", "disk", integer=True)
MOUNT_INODES_USED = Metric("inodes_used", "count", "Used inodes of the mount", "disk", integer=True)
MOUNT_INODES_TOTAL = Metric("inodes_total", "count", "Inodes of the mount", "disk", integer=True)
MOUNT_USED_PERCENT = Metric("used_percent", "percent",
                            "Used space of the mount as df(1) shows it: used / (used + avail)", "disk",
                            title="Disk used",
                            alerting=Alerting("Any mount: space %", "Disk {key}", "mount_used_percent"), rollup=True)
MOUNT_INODES_PERCENT = Metric("inodes_percent", "percent", "Used inodes of the mount in percent", "disk",
                              title="Inodes used",
                              alerting=Alerting("Any mount: inodes %", "Inodes {key}", "mount_inodes_percent"),
                              rollup=True)
DISK_METRICS: tuple[Metric, ...] = (MOUNT_USED_BYTES, MOUNT_TOTAL_BYTES, MOUNT_AVAIL_BYTES, MOUNT_INODES_USED,
                                    MOUNT_INODES_TOTAL, MOUNT_USED_PERCENT, MOUNT_INODES_PERCENT)

# Per GPU, measurement "gpu", tag "gpu" (the NVML index). mem_percent is derived by the API at ingest.
GPU_UTIL_PERCENT = Metric("util_percent", "percent", "GPU utilisation (NVML utilization.gpu)", "gpu",
                          title="GPU utilisation",
                          alerting=Alerting("Any GPU: utilisation %", "GPU {key} utilisation", "gpu_util_percent"),
                          rollup=True)
GPU_MEM_USED_BYTES = Metric("mem_used_bytes", "bytes", "GPU memory in use", "gpu", integer=True)
GPU_MEM_TOTAL_BYTES = Metric("mem_total_bytes", "bytes", "GPU memory in total", "gpu", integer=True)
GPU_MEM_PERCENT = Metric("mem_percent", "percent", "GPU memory in use in percent", "gpu",
                         title="GPU memory used",
                         alerting=Alerting("Any GPU: memory %", "GPU {key} memory", "gpu_mem_percent"), rollup=True)
GPU_TEMP_C = Metric("temp_c", "celsius", "GPU temperature", "gpu", title="GPU temperature",
                    alerting=Alerting("Any GPU: temperature °C", "GPU {key} temperature", "gpu_temp_c"), rollup=True)
GPU_POWER_W = Metric("power_w", "watts", "GPU power draw", "gpu", title="GPU power", rollup=True)
GPU_METRICS: tuple[Metric, ...] = (GPU_UTIL_PERCENT, GPU_MEM_USED_BYTES, GPU_MEM_TOTAL_BYTES, GPU_MEM_PERCENT,
                                   GPU_TEMP_C, GPU_POWER_W)

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


# What alert rules can watch, in catalogue order: metric_type -> its metric. Per-mount and per-GPU types fire
# for the mount or GPU that crossed; a rule may narrow them to one mount or one GPU index.
ALERT_METRICS: dict[str, Metric] = {m.alert_type: m for m in ALL_METRICS if m.alert_type is not None}
ALERT_METRIC_TYPES: dict[str, tuple[str, str]] = {t: (m.family, m.name) for t, m in ALERT_METRICS.items()}
ALERT_LABELS: dict[str, str] = {t: m.alerting.label for t, m in ALERT_METRICS.items() if m.alerting}
ALERT_HEADLINES: dict[str, str] = {t: m.alerting.headline for t, m in ALERT_METRICS.items() if m.alerting}
