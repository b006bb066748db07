"""Disk I/O of the whole disks: ``diskio`` (per disk: bytes and operations per second, busy share) and the sums
``disk_read_bytes_per_s``, ``disk_write_bytes_per_s``, from /proc/diskstats between two samples.

Whole disks only, so partitions are not counted twice: the kernel lists them in /sys/block (re-read every 30 s);
without it a name rule drops partitions (sda1, nvme0n1p2, mmcblk0p1). Loop, RAM, zram, optical and floppy
devices are not storage anyone watches; device-mapper and md devices sit on top of disks already counted.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from agent.collectors import Fields
from agent.collectors.procfs import ProcFile, list_dir, sys_root_for
from agent.collectors.rates import CounterRates, total

if TYPE_CHECKING:
    from agent.config import Config

SECTOR = 512  # /proc/diskstats counts 512-byte sectors whatever the device's own sector size
SKIP_PREFIXES = ("loop", "ram", "zram", "sr", "fd", "dm-", "md", "nbd")
PARTITION = re.compile(r"^(?:(?:sd|hd|vd|xvd)[a-z]+\d+|(?:nvme\d+n\d+|mmcblk\d+)p\d+)$")
MAX_DISKS = 64  # the API's limit per sample
REFRESH_SECONDS = 30.0

# Counters kept per disk, in this order: sectors read, sectors written, reads, writes, ms doing I/O.
Counters = tuple[int, int, int, int, int]


def parse_diskstats(text: str, keep: Callable[[str], bool] | None = None) -> dict[str, Counters]:
    """Pure: /proc/diskstats as {device: (sectors read, sectors written, reads, writes, io ms)}, only the
    devices ``keep`` accepts (all without it: the partitions and loop devices are most lines, so they are
    skipped before their numbers are converted)."""
    out: dict[str, Counters] = {}
    for line in text.splitlines():
        cols = line.split()
        if len(cols) < 14 or (keep is not None and not keep(cols[2])):
            continue
        out[cols[2]] = (int(cols[5]), int(cols[9]), int(cols[3]), int(cols[7]), int(cols[12]))
    return out


def is_whole_disk(device: str, block: frozenset[str]) -> bool:
    if device.startswith(SKIP_PREFIXES):
        return False
    if block:
        return device in block
    return PARTITION.match(device) is None


def diskio_fields(rates: dict[str, tuple[float | None, ...]]) -> Fields:
    """Pure: the wire fields from per-disk rates of the counters in ``Counters`` order."""
    items = []
    for device in sorted(rates)[:MAX_DISKS]:
        read_s, write_s, reads, writes, io_ms = rates[device]
        entry: dict[str, object] = {"device": device}
        if read_s is not None:
            entry["read_bytes_per_s"] = round(read_s * SECTOR, 1)
        if write_s is not None:
            entry["write_bytes_per_s"] = round(write_s * SECTOR, 1)
        if reads is not None:
            entry["read_iops"] = round(reads, 2)
        if writes is not None:
            entry["write_iops"] = round(writes, 2)
        if io_ms is not None:  # ms of I/O per second of wall time, as iostat's %util
            entry["busy_percent"] = round(min(100.0, io_ms / 10.0), 2)
        items.append(entry)
    fields: Fields = {"diskio": items}
    for key, index in (("disk_read_bytes_per_s", 0), ("disk_write_bytes_per_s", 1)):
        value = total(rates, index)
        if value is not None:
            fields[key] = round(value * SECTOR, 1)
    return fields


class DiskIoCollector:
    name = "diskio"

    def __init__(self, proc_root: str = "/proc", sys_root: str | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._file = ProcFile(os.path.join(proc_root, "diskstats"))
        self._whole: dict[str, bool] = {}  # per name, until /sys/block is read again
        self._block_dir = os.path.join(sys_root or sys_root_for(proc_root), "block")
        self._block: frozenset[str] = frozenset()
        self._block_at = -1e9
        self._clock = clock
        self._rates = CounterRates()

    def collect(self, now: float) -> Fields:
        mono = self._clock()
        if mono - self._block_at >= REFRESH_SECONDS:
            self._block, self._block_at = list_dir(self._block_dir), mono
            self._whole = {}
        counters = parse_diskstats(self._file.read(), self._is_whole)
        rates = self._rates.update(mono, counters)
        if not rates:
            return {}
        return diskio_fields(rates)

    def _is_whole(self, device: str) -> bool:
        whole = self._whole.get(device)
        if whole is None:
            whole = self._whole[device] = is_whole_disk(device, self._block)
        return whole

    def close(self) -> None:
        self._file.close()


def create(config: Config) -> DiskIoCollector:
    return DiskIoCollector(config.proc_root)
