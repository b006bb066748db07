"""``docker_bytes``: Docker's disk usage (images + containers + volumes + build cache), every
``slow_interval``, with its breakdown (``docker_images_bytes``, ``docker_containers_bytes``,
``docker_volumes_bytes``, ``docker_build_cache_bytes``, ``docker_reclaimable_bytes``) where the Engine API
answers.

Preferred source: the Engine API's ``GET /system/df`` on the unix socket. Fallback: du(1) of the data
directory run under ``nice -n 19`` and ``ionice -c 3`` (idle I/O class). Either runs in a background thread,
started when the collector is created and then by ``refresh()``, which the runtime schedules every
``slow_interval``: ``collect`` only returns the last value, so a slow daemon or a huge data dir never delays
the 1-second loop. A value older than three intervals is withdrawn rather than reported as current.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

from agent.collectors import Fields
from statusmon.http11 import exchange

if TYPE_CHECKING:
    from agent.config import Config

log = logging.getLogger(__name__)
MAX_DF_BYTES = 64 * 1024 * 1024  # a daemon with many thousands of images still answers well below this


def _size(value: Any) -> int:
    return value if isinstance(value, int) and value > 0 else 0


BREAKDOWN = ("docker_images_bytes", "docker_containers_bytes", "docker_volumes_bytes", "docker_build_cache_bytes")
SUMMARIES = ("ImagesDiskUsage", "ContainersDiskUsage", "VolumesDiskUsage", "BuildCacheDiskUsage")


def parse_system_df_breakdown(doc: dict[str, Any]) -> dict[str, int]:
    """Pure: from a ``/system/df`` reply, the bytes of each of ``BREAKDOWN`` and ``docker_reclaimable_bytes``
    (what ``docker system prune -a --volumes`` could free), as ``docker system df`` adds them up.

    API >= 1.52 carries per-type summaries (``ImagesDiskUsage.TotalSize``, ``.Reclaimable`` ...); older
    daemons give ``LayersSize`` (images, shared layers counted once), containers' ``SizeRw``, volumes'
    ``UsageData.Size`` (-1 when unknown) and build-cache records' ``Size`` (records marked ``Shared`` are
    counted in an image). Reclaimable there as the docker CLI computes it: image layers no container uses,
    writable layers of containers not running, volumes no container references, build cache not in use.
    """
    if any(isinstance(doc.get(k), dict) for k in SUMMARIES):
        parts = [doc.get(k) or {} for k in SUMMARIES]
        out = {name: _size(p.get("TotalSize")) for name, p in zip(BREAKDOWN, parts, strict=True)}
        out["docker_reclaimable_bytes"] = sum(_size(p.get("Reclaimable")) for p in parts)
        return out
    images = [i for i in doc.get("Images") or [] if isinstance(i, dict)]
    containers = [c for c in doc.get("Containers") or [] if isinstance(c, dict)]
    volumes = [v for v in doc.get("Volumes") or [] if isinstance(v, dict)]
    cache = [b for b in doc.get("BuildCache") or [] if isinstance(b, dict) and not b.get("Shared")]
    layers = _size(doc.get("LayersSize"))
    in_use = sum(_size(i.get("Size")) - _size(i.get("SharedSize")) for i in images
                 if i.get("Containers") and _size(i.get("Size")) >= _size(i.get("SharedSize")))
    out = {
        "docker_images_bytes": layers,
        "docker_containers_bytes": sum(_size(c.get("SizeRw")) for c in containers),
        "docker_volumes_bytes": sum(_size((v.get("UsageData") or {}).get("Size")) for v in volumes),
        "docker_build_cache_bytes": sum(_size(b.get("Size")) for b in cache),
    }
    out["docker_reclaimable_bytes"] = (
        max(0, layers - in_use)
        + sum(_size(c.get("SizeRw")) for c in containers if c.get("State") != "running")
        + sum(_size((v.get("UsageData") or {}).get("Size")) for v in volumes
              if (v.get("UsageData") or {}).get("RefCount") == 0)
        + sum(_size(b.get("Size")) for b in cache if not b.get("InUse")))
    return out


def parse_system_df(doc: dict[str, Any]) -> int:
    """Pure: total bytes from a ``/system/df`` reply: images + containers + volumes + build cache."""
    breakdown = parse_system_df_breakdown(doc)
    return sum(breakdown[k] for k in BREAKDOWN)


def parse_du(output: str) -> int:
    """Pure: bytes from ``du -s -B1 DIR`` output (``12345\\tDIR``)."""
    return int(output.split(None, 1)[0])


def query_system_df(socket_path: str, timeout: float = 120.0) -> dict[str, Any]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(socket_path)
        reply, _ = exchange(sock, "GET", "localhost", "/system/df", {"Accept": "application/json"},
                            max_body=MAX_DF_BYTES)
    finally:
        sock.close()
    if reply.status != 200:
        raise OSError(f"GET /system/df answered {reply.status}: {reply.body[:200]!r}")
    doc = json.loads(reply.body)
    if not isinstance(doc, dict):
        raise ValueError("GET /system/df did not answer an object")
    return doc


def measure_dir(path: str, timeout: float) -> int:
    """du(1) of ``path`` at the lowest CPU and idle I/O priority (one filesystem, hard links once)."""
    import subprocess  # only on hosts where the Engine API is unusable

    cmd = ["du", "-s", "-x", "-B1", path]
    if shutil.which("ionice"):
        cmd = ["ionice", "-c", "3", *cmd]
    cmd = ["nice", "-n", "19", *cmd]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if not done.stdout.strip():
        raise OSError(f"du {path} failed: {done.stderr.strip()[:200]}")
    # du exits 1 when some files vanished or were unreadable mid-walk; its total is still the best estimate
    return parse_du(done.stdout)


class DockerCollector:
    name = "docker"

    def __init__(self, socket_path: str, data_dir: str, interval: float, start: bool = True) -> None:
        self._socket_path = socket_path
        self._data_dir = data_dir
        self._interval = interval
        self._value: int | None = None
        self._value_at = 0.0
        self.refresh_interval = max(1, int(interval))
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._logged: set[str] = set()
        self.source: str | None = None
        self.breakdown: dict[str, int] = {}
        if start:
            self.refresh()

    def measure(self) -> tuple[int, str]:
        """One measurement (blocking; called in the background thread): (bytes, source). The Engine API's
        breakdown is kept in ``self.breakdown``; du's total has none."""
        try:
            breakdown = parse_system_df_breakdown(query_system_df(self._socket_path))
            self.breakdown = breakdown
            return sum(breakdown[k] for k in BREAKDOWN), "engine-api"
        except (OSError, ValueError) as exc:
            self._log_once("api", "Docker Engine API at %s unusable (%s); measuring %s with du instead",
                           self._socket_path, exc, self._data_dir)
        if not os.path.isdir(self._data_dir):
            raise OSError(f"no Docker socket and no data directory {self._data_dir}")
        self.breakdown = {}
        return measure_dir(self._data_dir, timeout=max(60.0, self._interval * 2)), "du"

    def _log_once(self, key: str, msg: str, *args: Any) -> None:
        if key not in self._logged:
            self._logged.add(key)
            log.info(msg, *args)

    def _run(self) -> None:
        try:
            value, source = self.measure()
        except Exception as exc:  # noqa: BLE001 - no Docker here: docker_bytes stays absent
            self._log_once("none", "no Docker disk usage (%s): docker_bytes is absent", exc)
        else:
            self._value, self._value_at, self.source = value, time.time(), source
        finally:
            self._done.set()

    def refresh(self) -> None:
        """Start a measurement in the background unless one is still running (returns at once)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._run, name="docker-df", daemon=True)
        self._thread.start()

    def settle(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for the first measurement (for ``--once``)."""
        self._done.wait(timeout)

    def collect(self, now: float) -> Fields:
        if self._value is None or now - self._value_at > 3 * self._interval:
            return {}
        return {"docker_bytes": self._value, **self.breakdown}

    def close(self) -> None:
        pass


def create(config: Config) -> DockerCollector:
    return DockerCollector(config.docker_socket, config.docker_data_dir, float(config.slow_interval))
