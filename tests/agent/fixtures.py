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


class ProcessInfo:
    """pynvml's c_nvmlProcessInfo_t as nvmlDeviceGet*RunningProcesses return it (usedGpuMemory None when the
    driver cannot tell)."""

    def __init__(self, pid: int, used: int | None) -> None:
        self.pid, self.usedGpuMemory, self.gpuInstanceId, self.computeInstanceId = pid, used, 0xFFFFFFFF, 0xFFFFFFFF


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
            # a training job (compute), an X server (graphics) and a job in both lists
            "compute": [ProcessInfo(4242, 78_000_000_000), ProcessInfo(5151, 2_147_483_648)],
            "graphics": [ProcessInfo(1337, 16_777_216), ProcessInfo(5151, 1_000)],
        },
        {
            "uuid": "GPU-9d0f7e2b-3a4c-4d6e-8f10-1a2b3c4d5e6f",
            "name": "NVIDIA H100 80GB HBM3",
            "util": Utilization(13, 2),
            "memory": Memory(85520809984, 84475379712, 1045430272),
            "temp": 38,
            "power_mw": 71204,
            "compute": [],
            "graphics": [],
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

    def nvmlDeviceGetComputeRunningProcesses(self, h: dict) -> list[ProcessInfo]:  # noqa: N802
        self._check("processes")
        return h["compute"]

    def nvmlDeviceGetGraphicsRunningProcesses(self, h: dict) -> list[ProcessInfo]:  # noqa: N802
        self._check("processes")
        return h["graphics"]


# /proc/net/dev of a Docker host: loopback, a physical NIC, a second NIC, the docker0 bridge and a veth pair end.
NET_DEV_1 = """Inter-|   Receive                                                |  Transmit
 face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs drop fifo colls carrier compressed
    lo: 9000000 90000 0 0 0 0 0 0 9000000 90000 0 0 0 0 0 0
  eno1: 1000000000 800000 5 0 0 0 0 1200 200000000 300000 1 0 0 0 0 0
  eno2: 5000 50 0 0 0 0 0 0 7000 70 0 0 0 0 0 0
docker0: 4000000 4000 0 0 0 0 0 0 8000000 8000 0 0 0 0 0 0
veth1a2b3c: 3000000 3000 0 0 0 0 0 0 6000000 6000 0 0 0 0 0 0
"""
# Two seconds later: eno1 moved 2 MB in and 400 kB out, with 2 more receive errors; eno2 moved 1 kB each way.
NET_DEV_2 = NET_DEV_1.replace("eno1: 1000000000 800000 5", "eno1: 1002000000 801000 7").replace(
    "1200 200000000 300000 1", "1200 200400000 300300 1").replace("eno2: 5000 50 0 0 0 0 0 0 7000 70",
                                                                  "eno2: 6000 60 0 0 0 0 0 0 8000 80")
# Then eno2 was re-created (driver reload): its counters start again from zero.
NET_DEV_3 = NET_DEV_2.replace("eno1: 1002000000 801000 7", "eno1: 1004000000 802000 7").replace(
    "eno2: 6000 60 0 0 0 0 0 0 8000 80", "eno2: 100 1 0 0 0 0 0 0 200 2")

# /proc/diskstats (kernel 5.5+: 20 columns): an NVMe disk and its partitions, a SATA disk, a loop device,
# device-mapper on top of a partition.
DISKSTATS_1 = """ 259       0 nvme0n1 100000 200 8000000 30000 50000 4000 4000000 90000 0 120000 130000 0 0 0 0 1000 500
 259       1 nvme0n1p1 300 0 20000 100 2 0 16 3 0 100 103 0 0 0 0 0 0
 259       2 nvme0n1p2 99000 200 7900000 29000 49000 4000 3990000 89000 0 119000 128000 0 0 0 0 0 0
   8       0 sda 5000 10 400000 9000 1000 20 80000 2000 0 10000 11000 0 0 0 0 0 0
   7       0 loop0 60 0 2000 10 0 0 0 0 0 40 10 0 0 0 0 0 0
 253       0 dm-0 99000 0 7900000 29000 53000 0 3990000 89000 0 119000 128000 0 0 0 0 0 0
"""
# One second later: nvme0n1 read 2048 sectors in 100 reads, wrote 4096 sectors in 50 writes, busy 500 ms.
DISKSTATS_2 = DISKSTATS_1.replace(
    "nvme0n1 100000 200 8000000 30000 50000 4000 4000000 90000 0 120000",
    "nvme0n1 100100 200 8002048 30100 50050 4000 4004096 90100 0 120500")


class shwtemp(NamedTuple):  # noqa: N801 - psutil's name
    label: str
    current: float | None
    high: float | None
    critical: float | None


# psutil.sensors_temperatures() of an Intel server with two NVMe drives and an unplugged fan-board probe.
SENSORS = {
    "coretemp": [
        shwtemp("Package id 0", 54.0, 80.0, 100.0),
        shwtemp("Core 0", 51.0, 80.0, 100.0),
        shwtemp("Core 1", 57.0, 80.0, 100.0),
    ],
    "nvme": [shwtemp("Composite", 38.85, 84.85, 89.85), shwtemp("Composite", 41.85, 84.85, 89.85)],
    "acpitz": [shwtemp("", 27.8, None, None)],
    "it8721": [shwtemp("temp3", -128.0, None, None)],
}
