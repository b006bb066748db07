"""Literal inputs in the shapes real hosts produce, shared by the collector tests. They are written by hand
to match psutil's, Docker's and NVML's documented return types and units; none was captured on a device
here (no GPU and no Docker engine are available to this project's machines)."""

from __future__ import annotations

import os
from typing import NamedTuple


# psutil.cpu_times() and psutil.virtual_memory() in the shape psutil 7 returns them on Linux (a 4-core host;
# cpu times in seconds at 100 ticks/s). The collectors read attributes only, so local namedtuples stand in.
class scputimes(NamedTuple):  # noqa: N801 - psutil's name
    user: float
    nice: float
    system: float
    idle: float
    iowait: float
    irq: float
    softirq: float
    steal: float
    guest: float
    guest_nice: float


CPU_TIMES_1 = scputimes(47.05, 1.5, 11.2, 162.5, 5.2, 0.25, 0.2, 0.0, 0.0, 0.0)
CPU_TIMES_2 = scputimes(48.05, 1.5, 11.7, 165.4, 5.4, 0.25, 0.3, 0.0, 0.1, 0.0)


class svmem(NamedTuple):  # noqa: N801 - psutil's name
    total: int
    available: int
    percent: float
    used: int
    free: int
    active: int
    inactive: int
    buffers: int
    cached: int
    shared: int
    slab: int


VIRTUAL_MEMORY = svmem(16710053888, 8355026944, 50.0, 7612956672, 1048576000, 6291456000, 5242880000,
                       209715200, 4194304000, 104857600, 524288000)

# /proc/meminfo behind VIRTUAL_MEMORY (for psutil itself reading a fake /proc).
MEMINFO = """MemTotal:       16318412 kB
MemFree:         1024000 kB
MemAvailable:    8159206 kB
Buffers:          204800 kB
Cached:          4096000 kB
SwapCached:            0 kB
Active:          6144000 kB
Inactive:        5120000 kB
Shmem:            102400 kB
Slab:             512000 kB
SReclaimable:     409600 kB
"""
PROC_STAT_1 = "cpu  4705 150 1120 16250 520 25 20 0 0 0\ncpu0 2350 75 560 8125 260 12 10 0 0 0\nintr 1 2 3\n"

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
# a second mount of the root device, snaps, tmpfs, overlay, NFS, a ZFS dataset and btrfs subvolumes, as
# /proc/self/mounts shows them ...
MOUNTS = r"""/dev/nvme0n1p2 / ext4 rw,relatime,errors=remount-ro 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
udev /dev devtmpfs rw,nosuid,relatime,size=8123456k 0 0
tmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime,size=1632000k,mode=755 0 0
/dev/nvme0n1p1 /boot/efi vfat rw,relatime,fmask=0077 0 0
/dev/sdb /mnt/data\040disk xfs rw,relatime,attr2,inode64 0 0
/dev/sdb /srv/exports xfs rw,relatime,attr2,inode64 0 0
/dev/nvme0n1p2 /var/lib/docker/rootbind ext4 rw,relatime 0 0
/dev/loop0 /snap/core20/2015 squashfs ro,nodev,relatime 0 0
overlay /var/lib/docker/overlay2/abc/merged overlay rw,relatime,lowerdir=/x 0 0
server:/export /mnt/nfs nfs4 rw,relatime,vers=4.2 0 0
tank/home /tank/home zfs rw,noatime,xattr,noacl 0 0
/dev/sdc /home btrfs rw,relatime,space_cache=v2,subvolid=257,subvol=/@home 0 0
/dev/sdc /var/log btrfs rw,relatime,space_cache=v2,subvolid=258,subvol=/@logs 0 0
gvfsd-fuse /run/user/1000/gvfs fuse.gvfsd-fuse rw,nosuid,nodev,relatime 0 0
none /sys/fs/bpf bpf rw,nosuid,nodev,noexec,relatime 0 0
"""


class sdiskpart(NamedTuple):  # noqa: N801 - psutil's name
    device: str
    mountpoint: str
    fstype: str
    opts: str


# ... and as psutil.disk_partitions(all=True) returns them (octal escapes undone, "none" given as "").
PARTITIONS = [
    sdiskpart("/dev/nvme0n1p2", "/", "ext4", "rw,relatime,errors=remount-ro"),
    sdiskpart("proc", "/proc", "proc", "rw,nosuid,nodev,noexec,relatime"),
    sdiskpart("sysfs", "/sys", "sysfs", "rw,nosuid,nodev,noexec,relatime"),
    sdiskpart("udev", "/dev", "devtmpfs", "rw,nosuid,relatime,size=8123456k"),
    sdiskpart("tmpfs", "/run", "tmpfs", "rw,nosuid,nodev,noexec,relatime,size=1632000k,mode=755"),
    sdiskpart("/dev/nvme0n1p1", "/boot/efi", "vfat", "rw,relatime,fmask=0077"),
    sdiskpart("/dev/sdb", "/mnt/data disk", "xfs", "rw,relatime,attr2,inode64"),
    sdiskpart("/dev/sdb", "/srv/exports", "xfs", "rw,relatime,attr2,inode64"),
    sdiskpart("/dev/nvme0n1p2", "/var/lib/docker/rootbind", "ext4", "rw,relatime"),
    sdiskpart("/dev/loop0", "/snap/core20/2015", "squashfs", "ro,nodev,relatime"),
    sdiskpart("overlay", "/var/lib/docker/overlay2/abc/merged", "overlay", "rw,relatime,lowerdir=/x"),
    sdiskpart("server:/export", "/mnt/nfs", "nfs4", "rw,relatime,vers=4.2"),
    sdiskpart("tank/home", "/tank/home", "zfs", "rw,noatime,xattr,noacl"),
    sdiskpart("/dev/sdc", "/home", "btrfs", "rw,relatime,space_cache=v2,subvolid=257,subvol=/@home"),
    sdiskpart("/dev/sdc", "/var/log", "btrfs", "rw,relatime,space_cache=v2,subvolid=258,subvol=/@logs"),
    sdiskpart("gvfsd-fuse", "/run/user/1000/gvfs", "fuse.gvfsd-fuse", "rw,nosuid,nodev,relatime"),
    sdiskpart("", "/sys/fs/bpf", "bpf", "rw,nosuid,nodev,noexec,relatime"),
]


def statvfs(
    blocks: int, bfree: int, bavail: int, files: int, ffree: int, frsize: int = 4096
) -> os.statvfs_result:
    # (f_bsize, f_frsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_favail, f_flag, f_namemax)
    return os.statvfs_result((frsize, frsize, blocks, bfree, bavail, files, ffree, ffree, 0, 255))


# GET /system/df in the shape of Docker Engine 24 (API 1.43), trimmed to the fields that matter plus some noise.
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


class FakeNVML:
    """The pynvml functions the GPU collector calls, answering with hand-written values typical of a 2 x H100
    host in NVML's units (bytes, milliwatts, degrees C; not captured from a device: none is available here).
    ``fail`` names calls that raise, like NVML_ERROR_NOT_SUPPORTED."""

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
