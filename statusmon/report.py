"""The report contract: every field an agent's report may carry, with its kind, unit, bounds and optionality.

A report is ``{agent_version, dropped, samples}``; a sample is ``{ts, the system metrics, disks, gpus, net,
diskio, temps, containers}`` (every list but disks and gpus added later, so optional like all else); a disk
and a GPU are records of their own. This table is the one statement of those rules: the API builds both its
marshmallow schema (api/schemas.py, which writes the error messages) and its fast path (api/fastcheck.py) from
it, and tests/api/test_report_contract.py checks that both enforce exactly what it says. Metric fields take
their kind and unit from the catalogue (statusmon.metrics); a unit's range is stated once, in ``UNIT_RANGES``.

It imports only the metric catalogue and the label rules, so every component (the agent included) can read it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from statusmon import labels
from statusmon.metrics import (
    ALL_METRICS,
    CONTAINER_METRIC_NAMES,
    DISKIO_METRIC_NAMES,
    NET_METRIC_NAMES,
    SYSTEM_METRICS,
    TEMP_METRIC_NAMES,
)

Kind = Literal["int", "float", "string", "timestamp", "list", "labels"]
Bound = int | None  # every bound in the table is a whole number

MAX_STRING = 256
MAX_INTEGER = 2**62  # beyond any disk, GPU or count; keeps InfluxDB's signed 64-bit integers safe

# The range a wire value of each catalogue unit must lie in. A metric with a unit missing here cannot be added to
# the catalogue until someone decides its range (KeyError at import).
UNIT_RANGES: dict[str, tuple[int, int]] = {
    "percent": (0, 100),
    "bytes": (0, MAX_INTEGER),
    "count": (0, MAX_INTEGER),
    "celsius": (-100, 250),
    "watts": (0, 100_000),
    # rates are floats: a bound a float can tell from bound + 0.5 (10 TB/s is beyond any host's sum of NICs)
    "bytes_per_second": (0, 10**13),
    "per_second": (0, 10**12),
    "load": (0, 1_000_000),
}
MAX_DETAIL_ITEMS = 64  # interfaces, disks, sensors, processes of one GPU
MAX_CONTAINERS = 1000


@dataclass(frozen=True)
class Field:
    """One field of a record.

    ``kind``: "int" (a JSON integer, never a boolean or a float), "float" (any JSON number, finite), "string",
    "list" (of ``item`` records), "timestamp" (integer epoch seconds) or "labels" (a JSON object of host labels,
    each key and value by the rules of statusmon.labels; ``hi``: the most labels).
    Bounds are inclusive: the value's range for int and float, the length's for string and list; None means
    unbounded on that side. ``lo_setting``/``hi_setting`` name the Settings attribute that gives the bound
    instead. A timestamp's bounds are relative to the server's clock: at most ``lo_setting`` seconds in the
    past and ``hi_setting`` seconds in the future.
    ``required``: the key must be present; ``nullable``: it may be null (an absent or null value is None).
    ``tag``: the string becomes an InfluxDB tag, so the tag-safe rule (statusmon.store.lineprotocol) applies.
    """

    name: str
    kind: Kind
    unit: str | None = None
    lo: Bound = None
    hi: Bound = None
    lo_setting: str | None = None
    hi_setting: str | None = None
    required: bool = False
    nullable: bool = False
    item: Record | None = None
    tag: bool = False

    def bounds(self, settings: object) -> tuple[Bound, Bound]:
        """(lo, hi) with any Settings-given bound read from ``settings``."""
        lo = getattr(settings, self.lo_setting) if self.lo_setting else self.lo
        hi = getattr(settings, self.hi_setting) if self.hi_setting else self.hi
        return lo, hi

    def clock_window(self, settings: object) -> tuple[int, int]:
        """A timestamp's (seconds into the past, seconds into the future) that it may lie from the server's clock."""
        assert self.kind == "timestamp" and self.lo_setting and self.hi_setting, self
        return int(getattr(settings, self.lo_setting)), int(getattr(settings, self.hi_setting))


@dataclass(frozen=True)
class Record:
    """A JSON object of the report: its fields, and the field (if any) whose value is unique within one list."""

    name: str
    fields: tuple[Field, ...]
    key: str | None = None
    key_noun: str = ""  # how an error message names the key ("GPU index")

    @property
    def names(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name}.{name}")


# The wire field of every catalogue metric, by (family, name): optional and nullable (a collector may have nothing
# to say), an integer or a float as the catalogue stores it, in its unit's range. A table like those below, so
# tests/api/test_report_contract.py checks each (a function building it at import could not be mutation-tested).
METRIC_FIELDS: dict[tuple[str, str], Field] = {
    (m.family, m.name): Field(m.name, "int" if m.integer else "float", m.unit, *UNIT_RANGES[m.unit], nullable=True)
    for m in ALL_METRICS
}


# used_percent and inodes_percent are derived by the API at ingest, never sent.
DISK = Record("disk", (
    Field("mount", "string", lo=1, hi=MAX_STRING, required=True, tag=True),
    replace(METRIC_FIELDS["disk", "used_bytes"], required=True, nullable=False),
    replace(METRIC_FIELDS["disk", "total_bytes"], required=True, nullable=False),
    METRIC_FIELDS["disk", "inodes_used"],
    METRIC_FIELDS["disk", "inodes_total"],
    # Optional so that agents older than it still report; without it used_percent falls back to used / total.
    # Last, as in DiskSample, which the fast path builds positionally.
    METRIC_FIELDS["disk", "avail_bytes"],
), key="mount", key_noun="mount")

# A process holding GPU memory (NVML's running compute and graphics processes); shown, not stored as series.
GPU_PROCESS = Record("gpu_process", (
    Field("pid", "int", lo=0, hi=2**31, required=True),
    Field("name", "string", hi=MAX_STRING, nullable=True),
    Field("mem_used_bytes", "int", "bytes", 0, MAX_INTEGER, nullable=True),
), key="pid", key_noun="process id")

# mem_percent is derived by the API at ingest, never sent. processes last (optional: agents before it).
GPU = Record("gpu", (
    Field("index", "int", lo=0, hi=1023, required=True),  # the NVML index
    Field("uuid", "string", hi=MAX_STRING, nullable=True),
    Field("name", "string", hi=MAX_STRING, nullable=True),
    *(METRIC_FIELDS["gpu", name]
      for name in ("util_percent", "mem_used_bytes", "mem_total_bytes", "temp_c", "power_w")),
    Field("processes", "list", item=GPU_PROCESS, hi=MAX_DETAIL_ITEMS),
), key="index", key_noun="GPU index")

NET = Record("net", (
    Field("iface", "string", lo=1, hi=64, required=True, tag=True),
    *(METRIC_FIELDS["net", name] for name in NET_METRIC_NAMES),
), key="iface", key_noun="network interface")

DISKIO = Record("diskio", (
    Field("device", "string", lo=1, hi=64, required=True, tag=True),
    *(METRIC_FIELDS["diskio", name] for name in DISKIO_METRIC_NAMES),
), key="device", key_noun="disk")

# Stored under the tag "sensor/label"; each part is tag-safe, so is the whole.
TEMP = Record("temp", (
    Field("sensor", "string", lo=1, hi=MAX_STRING, required=True, tag=True),
    Field("label", "string", lo=1, hi=MAX_STRING, required=True, tag=True),
    *(METRIC_FIELDS["temp", name] for name in TEMP_METRIC_NAMES),
))

CONTAINER = Record("container", (
    Field("id", "string", lo=1, hi=64, required=True),
    Field("name", "string", lo=1, hi=MAX_STRING, required=True, tag=True),
    Field("image", "string", hi=MAX_STRING, nullable=True),
    Field("state", "string", hi=32, nullable=True),
    *(METRIC_FIELDS["container", name] for name in CONTAINER_METRIC_NAMES),
), key="name", key_noun="container name")

SAMPLE_METRICS: tuple[Field, ...] = tuple(METRIC_FIELDS["system", m.name] for m in SYSTEM_METRICS)

SAMPLE = Record("sample", (
    Field("ts", "timestamp", "seconds", lo_setting="max_past_seconds", hi_setting="max_future_seconds",
          required=True),
    *SAMPLE_METRICS,
    Field("disks", "list", item=DISK, hi_setting="max_mounts"),
    Field("gpus", "list", item=GPU, hi_setting="max_gpus"),
    Field("net", "list", item=NET, hi=MAX_DETAIL_ITEMS),
    Field("diskio", "list", item=DISKIO, hi=MAX_DETAIL_ITEMS),
    Field("temps", "list", item=TEMP, hi=MAX_DETAIL_ITEMS),
    Field("containers", "list", item=CONTAINER, hi=MAX_CONTAINERS),
))

REPORT = Record("report", (
    Field("agent_version", "string", hi=64, nullable=True),
    Field("dropped", "int", "count", lo=0, hi=MAX_INTEGER, nullable=True),  # samples the agent's spool lost
    Field("samples", "list", item=SAMPLE, lo=1, hi_setting="max_samples_per_batch", required=True),
    # The agent's labels (its config's `labels`); absent or null: keep those the server knows.
    Field("labels", "labels", hi=labels.MAX_LABELS, nullable=True),
))

RECORDS: tuple[Record, ...] = (REPORT, SAMPLE, DISK, GPU, GPU_PROCESS, NET, DISKIO, TEMP, CONTAINER)
