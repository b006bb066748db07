"""A small, deterministic fleet for the Grafana tests: two hosts reporting 40 minutes of samples every 2 s.

``web-1`` has two mounts and no GPU; ``gpu-1`` has one mount and two GPUs. Values are pseudo-random from a
fixed seed, so each run stores the same numbers.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

HOSTS: dict[str, dict[str, Any]] = {
    "web-1": {"mounts": ["/", "/var/lib/docker"], "gpus": 0},
    "gpu-1": {"mounts": ["/"], "gpus": 2},
}
EVERY = 2
COUNT = 1200  # 40 minutes


@dataclass
class Fleet:
    start: int  # first sample time (a multiple of 60)
    end: int  # one past the last sample time
    ids: dict[str, str] = field(default_factory=dict)  # hostname -> client id


def samples(hostname: str, start: int, count: int = COUNT, every: int = EVERY) -> list[dict[str, Any]]:
    spec = HOSTS[hostname]
    rnd = random.Random(hostname)
    out = []
    for i in range(count):
        s: dict[str, Any] = {
            "ts": start + i * every,
            "cpu_percent": round(rnd.uniform(0, 100), 2),
            "ram_percent": round(rnd.uniform(20, 90), 2),
            "disk_percent": round(rnd.uniform(40, 60), 2),
            "inode_percent": round(rnd.uniform(1, 5), 3),
            "docker_bytes": rnd.randrange(1 << 30, 1 << 34),
            "disks": [
                {
                    "mount": m,
                    "used_bytes": rnd.randrange(1 << 30, 1 << 35),
                    "total_bytes": 1 << 36,
                    "inodes_used": rnd.randrange(1000, 100_000),
                    "inodes_total": 1 << 22,
                }
                for m in spec["mounts"]
            ],
        }
        if spec["gpus"]:
            gpus = [
                {
                    "index": g,
                    "util_percent": round(rnd.uniform(0, 100), 1),
                    "mem_used_bytes": rnd.randrange(1 << 28, 1 << 34),
                    "mem_total_bytes": 1 << 34,
                    "temp_c": round(rnd.uniform(30, 85), 1),
                    "power_w": round(rnd.uniform(50, 300), 1),
                }
                for g in range(spec["gpus"])
            ]
            s["gpus"] = gpus
            s["gpu_percent"] = round(sum(g["util_percent"] for g in gpus) / len(gpus), 2)
        # the issue-15 metrics, drawn after the others so that their values stay as they were
        load1 = round(rnd.uniform(0, 16), 2)
        s.update({
            "load1": load1, "load5": round(rnd.uniform(0, 16), 2), "load15": round(rnd.uniform(0, 16), 2),
            "load1_per_core": round(load1 / 8, 3), "swap_percent": round(rnd.uniform(0, 30), 2),
            "net_rx_bytes_per_s": round(rnd.uniform(0, 1e8), 1), "net_tx_bytes_per_s": round(rnd.uniform(0, 1e8), 1),
            "disk_read_bytes_per_s": round(rnd.uniform(0, 1e9), 1),
            "disk_write_bytes_per_s": round(rnd.uniform(0, 1e9), 1),
            "cpu_temp_c": round(rnd.uniform(30, 90), 1),
            "docker_images_bytes": rnd.randrange(1 << 30, 1 << 33),
            "docker_containers_bytes": rnd.randrange(1 << 20, 1 << 30),
            "docker_volumes_bytes": rnd.randrange(1 << 20, 1 << 33),
            "docker_build_cache_bytes": rnd.randrange(0, 1 << 30),
            "docker_reclaimable_bytes": rnd.randrange(0, 1 << 32),
            "containers_running": rnd.randrange(0, 50), "containers_restarting": rnd.randrange(0, 2),
            "net": [{"iface": "eno1", "rx_bytes_per_s": round(rnd.uniform(0, 1e8), 1),
                     "tx_bytes_per_s": round(rnd.uniform(0, 1e8), 1), "rx_errors_per_s": 0.0, "tx_errors_per_s": 0.0}],
            "diskio": [{"device": "nvme0n1", "read_bytes_per_s": round(rnd.uniform(0, 1e9), 1),
                        "write_bytes_per_s": round(rnd.uniform(0, 1e9), 1), "read_iops": 10.0, "write_iops": 20.0,
                        "busy_percent": round(rnd.uniform(0, 100), 2)}],
            "temps": [{"sensor": "coretemp", "label": "Package id 0", "temp_c": round(rnd.uniform(30, 90), 1)}],
        })
        if i % 5 == 0:  # a poll's container list every 10 s
            s["containers"] = [{"id": f"{k:012x}", "name": f"app-{k}", "image": "nginx:1", "state": "running",
                                "cpu_percent": round(rnd.uniform(0, 50), 2),
                                "mem_bytes": rnd.randrange(1 << 20, 1 << 30),
                                "mem_limit_bytes": 1 << 33, "restart_count": 0} for k in range(2)]
        out.append(s)
    return out


def populate(app: Flask, now: float | None = None) -> Fleet:
    """Add the hosts and post their samples through /api/report, as agents would."""
    now = time.time() if now is None else now
    start = int(now) // 60 * 60 - 45 * 60
    fleet = Fleet(start=start, end=start + COUNT * EVERY)
    state = app.extensions["statusmon"]
    http = app.test_client()
    for hostname in HOSTS:
        client, token = state.clients.add(hostname)
        fleet.ids[hostname] = client.id
        every = samples(hostname, start)
        for i in range(0, len(every), 600):  # in batches of 600, as agents send a backlog (1 MiB body cap)
            resp = http.post(
                "/api/report",
                json={"agent_version": "test", "samples": every[i:i + 600]},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert resp.status_code == 200, resp.get_data(as_text=True)
    return fleet


def iso(ts: float) -> str:
    """Grafana's range format: UTC with milliseconds and Z."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def post(http: FlaskClient, path: str, token: str, body: Any) -> Any:
    resp = http.post("/api/grafana" + path, json=body, headers=bearer(token))
    assert resp.status_code == 200, (path, resp.status_code, resp.get_data(as_text=True))
    return resp.get_json()
