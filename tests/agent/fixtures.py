"""Literal inputs recorded from real hosts, shared by the collector tests."""

from __future__ import annotations

import os

PROC_STAT_1 = "cpu  4705 150 1120 16250 520 25 20 0 0 0\ncpu0 2350 75 560 8125 260 12 10 0 0 0\nintr 1 2 3\n"
PROC_STAT_2 = "cpu  4805 150 1170 16540 540 25 30 0 10 0\ncpu0 2400 75 585 8270 270 12 15 0 5 0\nintr 1 2 3\n"

MEMINFO = """MemTotal:       16318412 kB
MemFree:         1024000 kB
MemAvailable:    8159206 kB
Buffers:          204800 kB
Cached:          4096000 kB
SwapCached:            0 kB
"""

FILESYSTEMS = """nodev\tsysfs
nodev\ttmpfs
nodev\tproc
nodev\tcgroup2
nodev\tdevtmpfs
nodev\toverlay
nodev\tnfs4
nodev\tautofs
nodev\tzfs
\text4
\txfs
\tbtrfs
\tsquashfs
\tvfat
"""

# A Docker host: ext4 root, a data disk with a space in its mount point, a bind mount of a subdirectory,
# a second mount of the root device, snaps, tmpfs, overlay, NFS, a ZFS dataset and btrfs subvolumes.
MOUNTINFO = r"""22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw,errors=remount-ro
23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:5 - proc proc rw
24 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:6 - sysfs sysfs rw
25 22 0:5 / /dev rw,nosuid,relatime shared:2 - devtmpfs udev rw,size=8123456k
26 25 0:25 / /run rw,nosuid,nodev,noexec,relatime shared:7 - tmpfs tmpfs rw,size=1632000k,mode=755
27 22 259:1 / /boot/efi rw,relatime shared:8 - vfat /dev/nvme0n1p1 rw,fmask=0077
28 22 8:16 / /mnt/data\040disk rw,relatime shared:9 - xfs /dev/sdb rw,attr2,inode64
29 22 8:16 /exports /srv/exports rw,relatime shared:9 - xfs /dev/sdb rw,attr2,inode64
30 22 259:2 / /var/lib/docker/rootbind rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw
31 22 7:0 / /snap/core20/2015 ro,nodev,relatime shared:10 - squashfs /dev/loop0 ro
32 22 0:48 / /var/lib/docker/overlay2/abc/merged rw,relatime - overlay overlay rw,lowerdir=/x
33 22 0:50 / /mnt/nfs rw,relatime shared:11 - nfs4 server:/export rw,vers=4.2
34 22 0:51 / /tank/home rw,noatime shared:12 - zfs tank/home rw,xattr,noacl
35 22 0:52 /@home /home rw,relatime shared:13 - btrfs /dev/sdc rw,space_cache=v2,subvolid=257
36 22 0:52 /@logs /var/log rw,relatime shared:14 - btrfs /dev/sdc rw,space_cache=v2,subvolid=258
37 22 0:53 / /run/user/1000/gvfs rw,nosuid,nodev,relatime - fuse.gvfsd-fuse gvfsd-fuse rw
"""


def statvfs(
    blocks: int, bfree: int, bavail: int, files: int, ffree: int, frsize: int = 4096
) -> os.statvfs_result:
    # (f_bsize, f_frsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_favail, f_flag, f_namemax)
    return os.statvfs_result((frsize, frsize, blocks, bfree, bavail, files, ffree, ffree, 0, 255))


# GET /system/df from Docker Engine 24 (API 1.43), trimmed to the fields that matter plus some noise.
SYSTEM_DF_LEGACY = {
    "LayersSize": 4_200_000_000,
    "Images": [
        {"Id": "sha256:aa", "Size": 3_000_000_000, "SharedSize": 1_000_000_000, "Containers": 2},
        {"Id": "sha256:bb", "Size": 2_200_000_000, "SharedSize": 1_000_000_000, "Containers": 0},
    ],
    "Containers": [
        {"Id": "c1", "SizeRw": 120_000_000, "SizeRootFs": 3_120_000_000, "State": "running"},
        {"Id": "c2", "SizeRootFs": 2_200_000_000, "State": "exited"},
    ],
    "Volumes": [
        {"Name": "pgdata", "UsageData": {"Size": 5_000_000_000, "RefCount": 1}},
        {"Name": "unknown", "UsageData": {"Size": -1, "RefCount": -1}},
    ],
    "BuildCache": [
        {"ID": "b1", "Size": 300_000_000, "Shared": False, "InUse": False},
        {"ID": "b2", "Size": 700_000_000, "Shared": True, "InUse": False},
    ],
}
SYSTEM_DF_LEGACY_TOTAL = 4_200_000_000 + 120_000_000 + 5_000_000_000 + 300_000_000

# API >= 1.52 summaries.
SYSTEM_DF_SUMMARIES = {
    "ImagesDiskUsage": {"ActiveCount": 1, "TotalCount": 2, "Reclaimable": 10, "TotalSize": 4_200_000_000},
    "ContainersDiskUsage": {"ActiveCount": 1, "TotalCount": 2, "Reclaimable": 0, "TotalSize": 120_000_000},
    "VolumesDiskUsage": {"ActiveCount": 1, "TotalCount": 1, "Reclaimable": 0, "TotalSize": 5_000_000_000},
    "BuildCacheDiskUsage": {"ActiveCount": 0, "TotalCount": 1, "Reclaimable": 0, "TotalSize": 300_000_000},
}


class Utilization:
    def __init__(self, gpu: int, memory: int) -> None:
        self.gpu, self.memory = gpu, memory


class Memory:
    def __init__(self, total: int, free: int, used: int) -> None:
        self.total, self.free, self.used = total, free, used


class NVMLError(Exception):
    pass


class RecordedNVML:
    """The pynvml functions the GPU collector calls, answering with values recorded on a 2 x H100 host
    (nvidia-ml-py 12.550, driver 550.54). ``fail`` names calls that raise, like NVML_ERROR_NOT_SUPPORTED."""

    DEVICES = [
        {
            "uuid": "GPU-5b8e6a1c-2f1d-4c55-9a0e-0c1a2b3c4d5e",
            "name": "NVIDIA H100 80GB HBM3",
            "util": Utilization(87, 41),
            "memory": Memory(85520809984, 4370464768, 81150345216),
            "temp": 61,
            "power_mw": 512345,
        },
        {
            "uuid": "GPU-9d0f7e2b-3a4c-4d6e-8f10-1a2b3c4d5e6f",
            "name": "NVIDIA H100 80GB HBM3",
            "util": Utilization(13, 2),
            "memory": Memory(85520809984, 84475379712, 1045430272),
            "temp": 38,
            "power_mw": 71204,
        },
    ]

    def __init__(self, fail: set[str] | None = None, init_error: Exception | None = None) -> None:
        self.fail = fail or set()
        self.init_error = init_error
        self.init_calls = 0

    def _check(self, name: str) -> None:
        if name in self.fail:
            raise NVMLError(f"{name}: Not Supported")

    def nvmlInit(self) -> None:  # noqa: N802
        self.init_calls += 1
        if self.init_error:
            raise self.init_error

    def nvmlShutdown(self) -> None:  # noqa: N802
        pass

    def nvmlDeviceGetCount(self) -> int:  # noqa: N802
        return len(self.DEVICES)

    def nvmlDeviceGetHandleByIndex(self, i: int) -> dict:  # noqa: N802
        return self.DEVICES[i]

    def nvmlDeviceGetUUID(self, h: dict) -> str:  # noqa: N802
        return h["uuid"]

    def nvmlDeviceGetName(self, h: dict) -> bytes:  # noqa: N802
        return h["name"].encode()  # old nvidia-ml-py returned bytes

    def nvmlDeviceGetUtilizationRates(self, h: dict) -> Utilization:  # noqa: N802
        self._check("util")
        return h["util"]

    def nvmlDeviceGetMemoryInfo(self, h: dict) -> Memory:  # noqa: N802
        self._check("memory")
        return h["memory"]

    def nvmlDeviceGetTemperature(self, h: dict, sensor: int) -> int:  # noqa: N802
        assert sensor == 0
        self._check("temp")
        return h["temp"]

    def nvmlDeviceGetPowerUsage(self, h: dict) -> int:  # noqa: N802
        self._check("power")
        return h["power_mw"]
