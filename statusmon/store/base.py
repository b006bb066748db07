"""The time-series store contract that both backends (SQLite, InfluxDB) implement.

Times are unix seconds (int) everywhere. A point is identified by (client_id, family key, ts): writing the
same point again overwrites it, so a retried batch changes nothing. ``start`` is inclusive, ``end`` exclusive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from statusmon.store.tiers import TierStore

Value = float | int | None


class StoreError(Exception):
    """The store failed in a way the caller cannot fix (a bug, a schema clash)."""


class StoreUnavailable(StoreError):
    """The store cannot be reached right now: the API answers 503 with Retry-After."""


@dataclass(frozen=True)
class DiskSample:
    mount: str
    used_bytes: int
    total_bytes: int
    inodes_used: int | None = None
    inodes_total: int | None = None
    avail_bytes: int | None = None  # last, so that positional construction stays as it was

    def used_percent(self) -> float | None:
        """df(1)'s Use%: used / (used + available to unprivileged users), the same number the agent sends as
        ``disk_percent`` for the root. Reports without ``avail_bytes`` (agents before it) give used / total,
        which reads lower by the share reserved for root (5 % on ext4 by default)."""
        if self.avail_bytes is not None:
            return _percent(self.used_bytes, self.used_bytes + self.avail_bytes)
        return _percent(self.used_bytes, self.total_bytes)

    def inodes_percent(self) -> float | None:
        return _percent(self.inodes_used, self.inodes_total)

    def fields(self) -> dict[str, Value]:
        """Stored fields, derived percentages included (names from statusmon.metrics.DISK_METRICS)."""
        return {
            "used_bytes": self.used_bytes, "total_bytes": self.total_bytes, "avail_bytes": self.avail_bytes,
            "inodes_used": self.inodes_used, "inodes_total": self.inodes_total,
            "used_percent": self.used_percent(), "inodes_percent": self.inodes_percent(),
        }


@dataclass(frozen=True)
class GpuProcess:
    pid: int
    name: str | None = None
    mem_used_bytes: int | None = None


@dataclass(frozen=True)
class GpuSample:
    index: int
    uuid: str | None = None
    name: str | None = None
    util_percent: float | None = None
    mem_used_bytes: int | None = None
    mem_total_bytes: int | None = None
    temp_c: float | None = None
    power_w: float | None = None
    processes: tuple[GpuProcess, ...] = ()  # shown with the latest sample, not stored as series

    def mem_percent(self) -> float | None:
        return _percent(self.mem_used_bytes, self.mem_total_bytes)

    def fields(self) -> dict[str, Value]:
        """Stored fields, derived percentages included (names from statusmon.metrics.GPU_METRICS)."""
        return {
            "util_percent": self.util_percent, "mem_used_bytes": self.mem_used_bytes,
            "mem_total_bytes": self.mem_total_bytes, "mem_percent": self.mem_percent(),
            "temp_c": self.temp_c, "power_w": self.power_w,
        }


# The detail records added with issue 15. Field names and order are the report contract's (statusmon.report),
# which the fast path builds them from positionally; ``key`` is the series tag, ``fields()`` what is stored.
@dataclass(frozen=True)
class NetSample:
    iface: str
    rx_bytes_per_s: float | None = None
    tx_bytes_per_s: float | None = None
    rx_errors_per_s: float | None = None
    tx_errors_per_s: float | None = None

    @property
    def key(self) -> str:
        return self.iface

    def fields(self) -> dict[str, Value]:
        return {"rx_bytes_per_s": self.rx_bytes_per_s, "tx_bytes_per_s": self.tx_bytes_per_s,
                "rx_errors_per_s": self.rx_errors_per_s, "tx_errors_per_s": self.tx_errors_per_s}


@dataclass(frozen=True)
class DiskIoSample:
    device: str
    read_bytes_per_s: float | None = None
    write_bytes_per_s: float | None = None
    read_iops: float | None = None
    write_iops: float | None = None
    busy_percent: float | None = None

    @property
    def key(self) -> str:
        return self.device

    def fields(self) -> dict[str, Value]:
        return {"read_bytes_per_s": self.read_bytes_per_s, "write_bytes_per_s": self.write_bytes_per_s,
                "read_iops": self.read_iops, "write_iops": self.write_iops, "busy_percent": self.busy_percent}


@dataclass(frozen=True)
class TempSample:
    sensor: str
    label: str
    temp_c: float | None = None

    @property
    def key(self) -> str:
        return f"{self.sensor}/{self.label}"

    def fields(self) -> dict[str, Value]:
        return {"temp_c": self.temp_c}


@dataclass(frozen=True)
class ContainerSample:
    id: str
    name: str
    image: str | None = None
    state: str | None = None
    cpu_percent: float | None = None
    mem_bytes: int | None = None
    mem_limit_bytes: int | None = None
    net_rx_bytes_per_s: float | None = None
    net_tx_bytes_per_s: float | None = None
    restart_count: int | None = None

    @property
    def key(self) -> str:
        return self.name

    def fields(self) -> dict[str, Value]:
        return {"cpu_percent": self.cpu_percent, "mem_bytes": self.mem_bytes,
                "mem_limit_bytes": self.mem_limit_bytes, "net_rx_bytes_per_s": self.net_rx_bytes_per_s,
                "net_tx_bytes_per_s": self.net_tx_bytes_per_s, "restart_count": self.restart_count}


@dataclass(frozen=True)
class Sample:
    """One sample of one host at ``ts``; ``values`` maps system metric names to values (None = not collected)."""

    ts: int
    values: Mapping[str, Value]
    disks: tuple[DiskSample, ...] = ()
    gpus: tuple[GpuSample, ...] = ()
    net: tuple[NetSample, ...] = ()
    diskio: tuple[DiskIoSample, ...] = ()
    temps: tuple[TempSample, ...] = ()
    containers: tuple[ContainerSample, ...] = ()

    def details(self) -> tuple[tuple[str, tuple[NetSample | DiskIoSample | TempSample | ContainerSample, ...]], ...]:
        """(family, records) of the keyed families added with issue 15, as stored."""
        return (("net", self.net), ("diskio", self.diskio), ("temp", self.temps), ("container", self.containers))


@dataclass(frozen=True)
class FieldStats:
    count: int
    min: float | None
    max: float | None
    avg: float | None
    p95: float | None

    def as_dict(self) -> dict[str, Value]:
        return {"count": self.count, "min": self.min, "max": self.max, "avg": self.avg, "p95": self.p95}


EMPTY_STATS = FieldStats(0, None, None, None, None)


@dataclass
class Series:
    """Columnar points: ``time`` ascending; ``values[field][i]`` belongs to ``time[i]`` (None = no data).

    Raw when ``step`` is None; otherwise each time is the start of a step bucket, ``values`` holds the mean and
    ``maxima`` the max of the bucket.
    """

    step: int | None
    time: list[int] = field(default_factory=list)
    values: dict[str, list[Value]] = field(default_factory=dict)
    maxima: dict[str, list[Value]] | None = None
    minima: dict[str, list[Value]] | None = None  # the min of each bucket, where the reader has it (the tiers)


class TimeSeriesStore(Protocol):
    backend: str  # "sqlite" or "influxdb"
    # The run-time settings this backend acts on (keys of statusmon.meta.settings.SETTINGS whose
    # ``honoured_by`` is "store"); the API refuses changing the others and the dashboard shows them disabled.

    @property
    def honours_settings(self) -> frozenset[str]:
        ...

    @property
    def tiers(self) -> TierStore:
        """The rollup tiers (minute and hour buckets) kept by the same database."""

    def describe(self) -> str:
        """Where the data goes, for the start-up log (no secrets)."""

    def ping(self) -> None:
        """Return if the store answers; raise StoreUnavailable otherwise."""

    def write(self, client_id: str, host: str, samples: Sequence[Sample]) -> int:
        """Store every sample synchronously (all or nothing as far as the backend allows); return the count."""

    def write_many(self, batches: Sequence[tuple[str, str, Sequence[Sample]]]) -> int:
        """Several (client_id, host, samples) batches in one backend write (one transaction or request)."""

    def stats(self, client_id: str, start: int, end: int,
              fields: Sequence[str]) -> dict[str, FieldStats]:
        """count, min, max, avg and p95 (nearest rank, as InfluxQL PERCENTILE) of system ``fields``."""

    def series(self, client_id: str, start: int, end: int, step: int | None,
               family: str = "system", fields: Sequence[str] | None = None) -> dict[str, Series]:
        """Series of one client keyed by family key ("" for system, the mount for disk, the GPU index for gpu).

        step None: raw points; otherwise buckets aligned to multiples of ``step`` seconds since the epoch.
        """

    def points(self, family: str, start: int, end: int, fields: Sequence[str] | None = None,
               client_ids: Sequence[str] | None = None) -> dict[tuple[str, str], Series]:
        """Raw points of every client (or of ``client_ids``) in one query, keyed by (client_id, family key)."""

    def first_time(self, family: str, start: int, end: int) -> int | None:
        """The time of the earliest point of ``family`` (any client) in [start, end); None if there is none."""

    def delete_client(self, client_id: str) -> None:
        """Remove every point of the client."""

    def set_retention(self, tier: str, days: int) -> None:
        """Keep ``tier`` ("raw", "minute", "hour") for ``days`` where the database expires data itself
        (InfluxDB); StoreError where it cannot be changed. SQLite: nothing (its pruner deletes)."""

    def prune(self, older_than: int) -> int:
        """Delete points older than ``older_than``; return how many went (InfluxDB: its retention policy does it)."""

    def close(self) -> None:
        ...


def _percent(used: int | float | None, total: int | float | None) -> float | None:
    if used is None or not total:
        return None
    return round(100.0 * used / total, 4)
