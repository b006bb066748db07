"""Space and inodes of every real mounted filesystem (``disks``) and of the root (``disk_percent``,
``inode_percent``), from ``psutil.disk_partitions(all=True)`` and statvfs(2).

"Real" means backed by a device: filesystems /proc/filesystems marks ``nodev`` (tmpfs, proc, overlay, nfs,
...) are skipped, and so are read-only images (squashfs, iso9660, erofs) and FUSE mounts. Skipping network
filesystems also keeps a hung NFS server from blocking the 1-second loop in statvfs. A device is reported once,
under its first mount point: bind mounts and btrfs subvolumes of a filesystem already seen are skipped.

Space and inodes both come from one ``os.statvfs`` per mount: ``psutil.disk_usage`` calls statvfs too but drops
the inode counts, so using it would mean two system calls per mount per second for the same numbers.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from agent.collectors import Fields
from agent.collectors.procfs import load_psutil, read_text

if TYPE_CHECKING:
    from agent.config import Config

log = logging.getLogger(__name__)

# Device-backed but not storage anyone fills: images and snaps.
SKIP_FSTYPES = frozenset({"squashfs", "iso9660", "erofs", "udf", "cramfs"})
# nodev but real storage (ZFS datasets are nodev in /proc/filesystems).
KEEP_NODEV = frozenset({"zfs"})
MAX_MOUNTS = 64  # the API's limit per sample
MAX_PATH = 256  # the API's limit per string
MOUNTS_REFRESH_SECONDS = 30.0


class Mount(NamedTuple):
    device: str
    mountpoint: str
    fstype: str


def parse_filesystems(text: str) -> frozenset[str]:
    """The ``nodev`` filesystem types listed in /proc/filesystems."""
    return frozenset(parts[1] for parts in (line.split() for line in text.splitlines())
                     if len(parts) == 2 and parts[0] == "nodev")


def real_mounts(partitions: Iterable[Any], nodev: frozenset[str]) -> list[Mount]:
    """Pure: the real filesystems among ``psutil.disk_partitions(all=True)`` (``sdiskpart`` tuples with
    ``device``, ``mountpoint``, ``fstype``), one per device, in mount order."""
    mounts: list[Mount] = []
    seen: set[str] = set()
    for p in partitions:
        device, mountpoint, fstype = p.device, p.mountpoint, p.fstype
        if not device or device == "none":
            continue
        if fstype in SKIP_FSTYPES or (fstype in nodev and fstype not in KEEP_NODEV):
            continue
        if fstype.startswith("fuse."):  # lxcfs, sshfs, gvfs: not local storage, may hang
            continue
        if device in seen:  # a bind mount, a second mount or another btrfs subvolume of a device seen already
            continue
        seen.add(device)
        mounts.append(Mount(device, mountpoint, fstype))
    return mounts


def disk_entry(mountpoint: str, st: os.statvfs_result) -> dict[str, object] | None:
    """One ``disks`` item from statvfs; None for a filesystem with no blocks."""
    if st.f_blocks <= 0:
        return None
    entry: dict[str, object] = {
        "mount": mountpoint,
        "used_bytes": (st.f_blocks - st.f_bfree) * st.f_frsize,
        "total_bytes": st.f_blocks * st.f_frsize,
        # What unprivileged users can still write: the API's used_percent is used / (used + avail), as df.
        "avail_bytes": st.f_bavail * st.f_frsize,
    }
    if st.f_files > 0:  # btrfs and some others report no inode table
        entry["inodes_used"] = st.f_files - st.f_ffree
        entry["inodes_total"] = st.f_files
    return entry


def root_summary(st: os.statvfs_result) -> dict[str, float]:
    """``disk_percent`` as df(1) shows it (used / (used + available to users)) and ``inode_percent``."""
    out: dict[str, float] = {}
    used = st.f_blocks - st.f_bfree
    if used + st.f_bavail > 0:
        # 4 places, as the API rounds a mount's used_percent: the root's two numbers are then the same number.
        out["disk_percent"] = round(100.0 * used / (used + st.f_bavail), 4)
    if st.f_files > 0:
        out["inode_percent"] = round(100.0 * (st.f_files - st.f_ffree) / st.f_files, 2)
    return out


class DisksCollector:
    name = "disks"

    def __init__(self, ps: Any = None, proc_root: str = "/proc", root_path: str = "/") -> None:
        self._ps = ps if ps is not None else load_psutil(proc_root)
        self._root_path = root_path
        self._mounts: list[Mount] = []
        self._mounts_at = -1e9
        self._warned: set[str] = set()
        self._nodev = parse_filesystems(read_text(os.path.join(proc_root, "filesystems")))

    def _refresh_mounts(self) -> None:
        now = time.monotonic()
        if now - self._mounts_at < MOUNTS_REFRESH_SECONDS:
            return
        self._mounts_at = now
        mounts = real_mounts(self._ps.disk_partitions(all=True), self._nodev)
        kept = [m for m in mounts if len(m.mountpoint) <= MAX_PATH]
        if len(kept) != len(mounts) and "long" not in self._warned:
            self._warned.add("long")
            log.warning("skipping mount points longer than %d characters", MAX_PATH)
        if len(kept) > MAX_MOUNTS and "many" not in self._warned:
            self._warned.add("many")
            log.warning("%d real mounts; reporting the first %d", len(kept), MAX_MOUNTS)
        self._mounts = kept[:MAX_MOUNTS]

    def collect(self, now: float) -> Fields:
        fields: Fields = {}
        try:
            fields.update(root_summary(os.statvfs(self._root_path)))
        except OSError as exc:
            if "root" not in self._warned:
                self._warned.add("root")
                log.warning("statvfs(%s) failed: %s", self._root_path, exc)
        self._refresh_mounts()
        disks = []
        for m in self._mounts:
            try:
                entry = disk_entry(m.mountpoint, os.statvfs(m.mountpoint))
            except OSError:  # unmounted since the last refresh, or no permission: skip this mount this time
                self._mounts_at = -1e9
                continue
            if entry is not None:
                disks.append(entry)
        fields["disks"] = disks
        return fields

    def close(self) -> None:
        pass


def create(config: Config) -> DisksCollector:
    return DisksCollector(load_psutil(config.proc_root), config.proc_root, config.root_path)
