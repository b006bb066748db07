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
    unit: str  # "percent", "bytes", "celsius", "watts", "count", "bytes_per_second", "per_second", "load"
    description: str
    # "system" (one value per sample), "disk" (per mount), "gpu" (per GPU), "net" (per interface), "diskio" (per
    # whole disk), "temp" (per sensor), "container" (per container)
    family: str
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
LOAD1 = Metric("load1", "load", "Run-queue length averaged over 1 minute (/proc/loadavg)", "system",
               label="Load 1m", title="Load (1 min)", rollup=True)
LOAD5 = Metric("load5", "load", "Run-queue length averaged over 5 minutes", "system", label="Load 5m",
               title="Load (5 min)", rollup=True)
LOAD15 = Metric("load15", "load", "Run-queue length averaged over 15 minutes", "system", label="Load 15m",
                title="Load (15 min)", rollup=True)
LOAD1_PER_CORE = Metric("load1_per_core", "load", "1-minute load divided by the CPUs online (above 1: CPUs "
                        "oversubscribed)", "system", label="Load/core", title="Load per core",
                        alerting=Alerting("Load per core (1 min)", "Load per core"))
SWAP_PERCENT = Metric("swap_percent", "percent", "Swap in use (SwapTotal - SwapFree) / SwapTotal; absent "
                      "without swap", "system", label="Swap", title="Swap used",
                      alerting=Alerting("Swap %", "Swap"), rollup=True)
NET_RX = Metric("net_rx_bytes_per_s", "bytes_per_second", "Bytes received per second, summed over the "
                "physical interfaces", "system", label="Net in", title="Network received", rollup=True)
NET_TX = Metric("net_tx_bytes_per_s", "bytes_per_second", "Bytes sent per second, summed over the physical "
                "interfaces", "system", label="Net out", title="Network sent", rollup=True)
DISK_READ = Metric("disk_read_bytes_per_s", "bytes_per_second", "Bytes read per second, summed over the whole "
                   "disks (no partitions)", "system", label="Disk read", title="Disk read", rollup=True)
DISK_WRITE = Metric("disk_write_bytes_per_s", "bytes_per_second", "Bytes written per second, summed over the "
                    "whole disks", "system", label="Disk write", title="Disk written", rollup=True)
CPU_TEMP_C = Metric("cpu_temp_c", "celsius", "Hottest CPU package or core sensor", "system", label="CPU temp",
                    title="CPU temperature", alerting=Alerting("CPU temperature °C", "CPU temperature"), rollup=True)
DOCKER_IMAGES = Metric("docker_images_bytes", "bytes", "Docker disk usage of images (shared layers once)",
                       "system", integer=True, label="Docker images", title="Docker images")
DOCKER_CONTAINERS = Metric("docker_containers_bytes", "bytes", "Docker disk usage of containers' writable "
                           "layers", "system", integer=True, label="Docker containers",
                           title="Docker containers' writable layers")
DOCKER_VOLUMES = Metric("docker_volumes_bytes", "bytes", "Docker disk usage of volumes", "system", integer=True,
                        label="Docker volumes", title="Docker volumes")
DOCKER_BUILD_CACHE = Metric("docker_build_cache_bytes", "bytes", "Docker disk usage of the build cache",
                            "system", integer=True, label="Docker build cache", title="Docker build cache")
DOCKER_RECLAIMABLE = Metric("docker_reclaimable_bytes", "bytes", "Docker disk space a prune could free: unused "
                            "images, stopped containers, unreferenced volumes, idle build cache", "system",
                            integer=True, label="Docker reclaimable", title="Docker reclaimable")
CONTAINERS_RUNNING = Metric("containers_running", "count", "Docker containers running", "system", integer=True,
                            label="Containers", title="Containers running")
CONTAINERS_RESTARTING = Metric("containers_restarting", "count", "Docker containers restarting, or restarted "
                               "since the previous poll", "system", integer=True, label="Restarting",
                               title="Containers restarting",
                               alerting=Alerting("Containers restarting", "Containers restarting"))
SYSTEM_METRICS: tuple[Metric, ...] = (CPU_PERCENT, RAM_PERCENT, DISK_PERCENT, INODE_PERCENT, DOCKER_BYTES,
                                      GPU_PERCENT, LOAD1, LOAD5, LOAD15, LOAD1_PER_CORE, SWAP_PERCENT, NET_RX,
                                      NET_TX, DISK_READ, DISK_WRITE, CPU_TEMP_C, DOCKER_IMAGES, DOCKER_CONTAINERS,
                                      DOCKER_VOLUMES, DOCKER_BUILD_CACHE, DOCKER_RECLAIMABLE, CONTAINERS_RUNNING,
                                      CONTAINERS_RESTARTING)

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

# Per physical interface, measurement "net", tag "iface".
NET_METRICS: tuple[Metric, ...] = (
    Metric("rx_bytes_per_s", "bytes_per_second", "Bytes received per second", "net", title="Network received"),
    Metric("tx_bytes_per_s", "bytes_per_second", "Bytes sent per second", "net", title="Network sent"),
    Metric("rx_errors_per_s", "per_second", "Receive errors per second", "net"),
    Metric("tx_errors_per_s", "per_second", "Transmit errors per second", "net"),
)
# Per whole disk, measurement "diskio", tag "device".
DISKIO_METRICS: tuple[Metric, ...] = (
    Metric("read_bytes_per_s", "bytes_per_second", "Bytes read per second", "diskio", title="Disk read"),
    Metric("write_bytes_per_s", "bytes_per_second", "Bytes written per second", "diskio", title="Disk write"),
    Metric("read_iops", "per_second", "Reads completed per second", "diskio"),
    Metric("write_iops", "per_second", "Writes completed per second", "diskio"),
    Metric("busy_percent", "percent", "Share of time the disk had I/O in flight (iostat's %util)", "diskio",
           title="Disk busy"),
)
# Per sensor, measurement "temp", tag "sensor" ("chip/label", e.g. "coretemp/Core 0").
TEMP_METRICS: tuple[Metric, ...] = (
    Metric("temp_c", "celsius", "Sensor temperature (hwmon)", "temp", title="Temperatures"),
)
# Per container, measurement "container", tag "container" (its name); id, image and state stored beside.
CONTAINER_METRICS: tuple[Metric, ...] = (
    Metric("cpu_percent", "percent", "CPU used by the container as a share of the whole host", "container",
           title="Container CPU"),
    Metric("mem_bytes", "bytes", "Memory used by the container less inactive page cache (as docker stats)",
           "container", integer=True, title="Container memory"),
    Metric("mem_limit_bytes", "bytes", "The container's memory limit (the host's memory without one)",
           "container", integer=True),
    Metric("net_rx_bytes_per_s", "bytes_per_second", "Bytes the container received per second", "container"),
    Metric("net_tx_bytes_per_s", "bytes_per_second", "Bytes the container sent per second", "container"),
    Metric("restart_count", "count", "Times Docker restarted the container (its restart policy)", "container",
           integer=True),
)

ALL_METRICS: tuple[Metric, ...] = (SYSTEM_METRICS + DISK_METRICS + GPU_METRICS + NET_METRICS + DISKIO_METRICS
                                   + TEMP_METRICS + CONTAINER_METRICS)
SYSTEM_METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in SYSTEM_METRICS)
DISK_METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in DISK_METRICS)
GPU_METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in GPU_METRICS)
NET_METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in NET_METRICS)
DISKIO_METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in DISKIO_METRICS)
TEMP_METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in TEMP_METRICS)
CONTAINER_METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in CONTAINER_METRICS)

# Families as stored: measurement name and the tag that tells the series of one client apart.
FAMILY_KEY = {"system": None, "disk": "mount", "gpu": "gpu", "net": "iface", "diskio": "device", "temp": "sensor",
              "container": "container"}
FAMILY_FIELDS = {"system": SYSTEM_METRIC_NAMES, "disk": DISK_METRIC_NAMES, "gpu": GPU_METRIC_NAMES,
                 "net": NET_METRIC_NAMES, "diskio": DISKIO_METRIC_NAMES, "temp": TEMP_METRIC_NAMES,
                 "container": CONTAINER_METRIC_NAMES}


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
