"""Disks: which mounts count as real, and how statvfs becomes the wire fields."""

from __future__ import annotations

import os
from pathlib import Path

from agent.collectors.disks import (
    DisksCollector,
    disk_entry,
    parse_filesystems,
    parse_mountinfo,
    root_summary,
)
from tests.agent.fixtures import FILESYSTEMS, MOUNTINFO, statvfs


def test_it_keeps_device_backed_filesystems_once_per_device() -> None:
    mounts = parse_mountinfo(MOUNTINFO, parse_filesystems(FILESYSTEMS))
    assert [(m.mountpoint, m.fstype) for m in mounts] == [
        ("/", "ext4"),
        ("/boot/efi", "vfat"),
        ("/mnt/data disk", "xfs"),  # \040 unescaped
        ("/tank/home", "zfs"),  # nodev in /proc/filesystems, but real storage
        ("/home", "btrfs"),  # first subvolume stands for the filesystem; /var/log is the same device
    ]


def test_it_skips_tmpfs_overlay_squashfs_nfs_fuse_and_bind_mounts() -> None:
    points = {m.mountpoint for m in parse_mountinfo(MOUNTINFO, parse_filesystems(FILESYSTEMS))}
    for skipped in (
        "/run",
        "/var/lib/docker/overlay2/abc/merged",
        "/snap/core20/2015",
        "/mnt/nfs",
        "/run/user/1000/gvfs",
        "/srv/exports",
        "/var/lib/docker/rootbind",
        "/proc",
        "/dev",
    ):
        assert skipped not in points


def test_disk_entry_reports_bytes_and_inodes() -> None:
    e = disk_entry("/", statvfs(blocks=1000, bfree=400, bavail=350, files=100, ffree=75))
    assert e == {
        "mount": "/",
        "used_bytes": 600 * 4096,
        "total_bytes": 1000 * 4096,
        "inodes_used": 25,
        "inodes_total": 100,
    }


def test_disk_entry_omits_inodes_where_the_filesystem_has_no_inode_table() -> None:
    e = disk_entry("/home", statvfs(blocks=1000, bfree=400, bavail=400, files=0, ffree=0))
    assert e is not None and "inodes_used" not in e and "inodes_total" not in e
    assert disk_entry("/x", statvfs(0, 0, 0, 0, 0)) is None


def test_root_summary_is_what_df_shows_reserved_blocks_excluded() -> None:
    s = root_summary(statvfs(blocks=1000, bfree=400, bavail=350, files=100, ffree=75))
    assert s == {"disk_percent": round(100 * 600 / 950, 2), "inode_percent": 25.0}


def test_collector_on_a_fake_proc_root_reports_the_real_root(tmp_path: Path) -> None:
    (tmp_path / "self").mkdir()
    (tmp_path / "filesystems").write_text(FILESYSTEMS)
    (tmp_path / "self" / "mountinfo").write_text(
        f"22 1 259:2 / / rw - ext4 /dev/root rw\n23 22 259:9 / {tmp_path} rw - xfs /dev/x rw\n"
        "24 22 259:10 / /nonexistent-mount rw - xfs /dev/y rw\n"
    )
    fields = DisksCollector(str(tmp_path), "/").collect(0)
    st = os.statvfs("/")
    assert fields["disk_percent"] == root_summary(st)["disk_percent"]
    assert [d["mount"] for d in fields["disks"]] == ["/", str(tmp_path)]  # the vanished mount is skipped
