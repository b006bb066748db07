"""Disks: which mounts count as real, and how statvfs becomes the wire fields."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import psutil
import pytest

from agent.collectors.disks import DisksCollector, disk_entry, parse_filesystems, real_mounts, root_summary
from agent.collectors.procfs import load_psutil
from tests.agent.fixtures import FILESYSTEMS, MOUNTS, PARTITIONS, sdiskpart, statvfs

NODEV = parse_filesystems(FILESYSTEMS)


def test_it_keeps_device_backed_filesystems_once_per_device() -> None:
    assert [(m.mountpoint, m.fstype) for m in real_mounts(PARTITIONS, NODEV)] == [
        ("/", "ext4"),
        ("/boot/efi", "vfat"),
        ("/mnt/data disk", "xfs"),
        ("/tank/home", "zfs"),  # nodev in /proc/filesystems, but real storage
        ("/home", "btrfs"),  # first subvolume stands for the filesystem; /var/log is the same device
    ]


def test_it_skips_tmpfs_overlay_squashfs_nfs_fuse_and_bind_mounts() -> None:
    points = {m.mountpoint for m in real_mounts(PARTITIONS, NODEV)}
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
        "/sys/fs/bpf",
    ):
        assert skipped not in points


def test_the_fixture_is_what_psutil_makes_of_proc_self_mounts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(psutil, "PROCFS_PATH", psutil.PROCFS_PATH)  # restored after the test
    (tmp_path / "self").mkdir()
    (tmp_path / "self" / "mounts").write_text(MOUNTS)
    parts = load_psutil(str(tmp_path)).disk_partitions(all=True)
    assert [tuple(p) for p in parts] == [tuple(p) for p in PARTITIONS]


def test_disk_entry_reports_bytes_and_inodes() -> None:
    e = disk_entry("/", statvfs(blocks=1000, bfree=400, bavail=350, files=100, ffree=75))
    assert e == {
        "mount": "/",
        "used_bytes": 600 * 4096,
        "total_bytes": 1000 * 4096,
        "avail_bytes": 350 * 4096,
        "inodes_used": 25,
        "inodes_total": 100,
    }


def test_disk_entry_omits_inodes_where_the_filesystem_has_no_inode_table() -> None:
    e = disk_entry("/home", statvfs(blocks=1000, bfree=400, bavail=400, files=0, ffree=0))
    assert e is not None and "inodes_used" not in e and "inodes_total" not in e
    assert disk_entry("/x", statvfs(0, 0, 0, 0, 0)) is None


def test_root_summary_is_what_df_shows_reserved_blocks_excluded() -> None:
    s = root_summary(statvfs(blocks=1000, bfree=400, bavail=350, files=100, ffree=75))
    assert s == {"disk_percent": round(100 * 600 / 950, 4), "inode_percent": 25.0}


def test_collector_on_a_fake_psutil_reports_the_real_root(tmp_path: Path) -> None:
    (tmp_path / "filesystems").write_text(FILESYSTEMS)
    ps = SimpleNamespace(disk_partitions=lambda all: [  # noqa: A006
        sdiskpart("/dev/root", "/", "ext4", "rw"),
        sdiskpart("/dev/x", str(tmp_path), "xfs", "rw"),
        sdiskpart("/dev/y", "/nonexistent-mount", "xfs", "rw"),
        sdiskpart("tmpfs", "/run", "tmpfs", "rw"),
    ])
    fields = DisksCollector(ps, str(tmp_path), "/").collect(0)
    st = os.statvfs("/")
    assert fields["disk_percent"] == root_summary(st)["disk_percent"]
    assert [d["mount"] for d in fields["disks"]] == ["/", str(tmp_path)]  # the vanished mount is skipped
