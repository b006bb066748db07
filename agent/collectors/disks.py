"""Space and inodes of every real mounted filesystem (``disks``) and of the root (``disk_percent``,
``inode_percent``), from /proc/self/mountinfo and statvfs(2).

"Real" means backed by a device: filesystems /proc/filesystems marks ``nodev`` (tmpfs, proc, overlay, nfs,
...) are skipped, and so are read-only images (squashfs, iso9660, erofs). Skipping network filesystems also
keeps a hung NFS server from blocking the 1-second loop in statvfs. Bind mounts of a subdirectory and second
mounts of the same device are reported once, under the first mount point.
"""

from __future__ import annotations

import logging
import os
import time
from typing import TYPE_CHECKING, NamedTuple

from agent.collectors import Fields
from agent.collectors.procfs import read_text

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
    device: str  # major:minor
    mountpoint: str
    fstype: str


def parse_filesystems(text: str) -> frozenset[str]:
    """The ``nodev`` filesystem types listed in /proc/filesystems."""
    return frozenset(parts[1] for parts in (line.split() for line in text.splitlines())
                     if len(parts) == 2 and parts[0] == "nodev")


def _unescape(field: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as \ooo octal
    if "\\" not in field:
        return field
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and field[i + 1:i + 4].isdigit():
            out.append(chr(int(field[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def parse_mountinfo(text: str, nodev: frozenset[str]) -> list[Mount]:
    """Real filesystems from /proc/self/mountinfo, one per device, in mount order."""
    mounts: list[Mount] = []
    seen: set[str] = set()
    for line in text.splitlines():
        left, sep, right = line.partition(" - ")
        if not sep:
            continue
        lf, rf = left.split(), right.split()
        if len(lf) < 5 or not rf:
            continue
        device, root, mountpoint, fstype = lf[2], lf[3], _unescape(lf[4]), rf[0]
        if fstype in SKIP_FSTYPES or (fstype in nodev and fstype not in KEEP_NODEV):
            continue
        if fstype.startswith("fuse."):  # lxcfs, sshfs, gvfs: not local storage, may hang
            continue
        if root != "/" and fstype != "btrfs":  # a bind mount of a subdirectory (btrfs subvolumes are roots)
            continue
        if device in seen:
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
        out["disk_percent"] = round(100.0 * used / (used + st.f_bavail), 2)
    if st.f_files > 0:
        out["inode_percent"] = round(100.0 * (st.f_files - st.f_ffree) / st.f_files, 2)
    return out


class DisksCollector:
    name = "disks"

    def __init__(self, proc_root: str = "/proc", root_path: str = "/") -> None:
        self._proc_root = proc_root
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
        mounts = parse_mountinfo(read_text(os.path.join(self._proc_root, "self", "mountinfo")), self._nodev)
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
    return DisksCollector(config.proc_root, config.root_path)
