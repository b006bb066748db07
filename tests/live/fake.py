"""Simulated agents and raw WebSocket viewers for the live-feed and browser tests (and the benches)."""

from __future__ import annotations

import base64
import json
import os
import random
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import requests


def sample(ts: int, seed: int = 0, mounts: int = 2, gpus: int = 1) -> dict[str, Any]:
    """A plausible agent sample whose values move with ts (so charts and gauges visibly change)."""
    rnd = random.Random(ts * 1000 + seed)
    gib = 1 << 30
    return {
        "ts": ts,
        "cpu_percent": round(rnd.uniform(5, 95), 1),
        "ram_percent": round(rnd.uniform(30, 70), 1),
        "disk_percent": 61.5,
        "inode_percent": 12.25,
        "docker_bytes": 37 * gib + seed,
        "gpu_percent": round(rnd.uniform(0, 100), 1) if gpus else None,
        "disks": [{"mount": "/" if i == 0 else f"/data{i}", "used_bytes": (100 + 10 * i) * gib,
                   "total_bytes": 200 * gib * (i + 1), "inodes_used": 1_200_000, "inodes_total": 9_800_000}
                  for i in range(mounts)],
        "gpus": [{"index": i, "uuid": f"GPU-{seed:04d}-{i}", "name": "NVIDIA H100 80GB HBM3",
                  "util_percent": round(rnd.uniform(0, 100), 1), "mem_used_bytes": 40 * gib,
                  "mem_total_bytes": 80 * gib, "temp_c": 61.0, "power_w": 312.5} for i in range(gpus)],
    }


def report(base_url: str, token: str, samples: list[dict[str, Any]],
           session: requests.Session | None = None) -> dict[str, Any]:
    http = session or requests
    r = http.post(base_url + "/api/report", json={"agent_version": "fake-1", "samples": samples},
                  headers={"Authorization": f"Bearer {token}"}, timeout=10)
    r.raise_for_status()
    return dict(r.json())


def raw_upgrade(base_url: str, path: str = "/ws/live", headers: dict[str, str] | None = None,
                rcvbuf: int | None = None) -> tuple[socket.socket, int, bytes]:
    """Open a WebSocket handshake by hand: (socket, status, response head). The socket is never read further
    unless the caller does, which is how a stalled browser looks to the server."""
    parts = urlsplit(base_url)
    sock = socket.socket()
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.connect((parts.hostname, parts.port))
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {path} HTTP/1.1", f"Host: {parts.netloc}", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = b""
    sock.settimeout(10)
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)  # byte by byte: leave any frame after the head unread
        if not chunk:
            break
        head += chunk
    status = int(head.split(b" ", 2)[1]) if head else 0
    return sock, status, head


def cookie_header(session: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def unpack(message: str) -> list[dict[str, Any]]:
    """The frames inside one WebSocket message (a batch holds several)."""
    obj = json.loads(message)
    return list(obj["frames"]) if obj.get("type") == "batch" else [obj]


def now() -> int:
    return int(time.time())
