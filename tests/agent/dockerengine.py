"""A fake Docker engine: a real HTTP/1.1 server on a unix socket answering the Engine API reads the agent makes
(``/containers/json``, ``/containers/{id}/json``, ``/containers/{id}/stats``, ``/system/df``) from a dict of
containers in the Engine API's shapes. Tests and bench/agent change the dict between polls to play restarts,
counter resets and vanished containers."""

from __future__ import annotations

import json
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def container(i: int, state: str = "running", cpu_ns: int = 0, system_ns: int = 0, rx: int = 0, tx: int = 0,
              mem: int = 100_000_000, restarts: int = 0) -> dict[str, Any]:
    """One container as the fake engine keeps it (what list, inspect and stats are built from)."""
    return {"id": f"{i:064x}", "name": f"app-{i}", "image": f"registry.example.com/app:{i % 7}", "state": state,
            "cpu_ns": cpu_ns, "system_ns": system_ns, "rx": rx, "tx": tx, "mem": mem, "restarts": restarts}


def stats_doc(c: dict[str, Any]) -> dict[str, Any]:
    """``GET /containers/{id}/stats?stream=false&one-shot=true`` of Docker 24 on cgroup v2 (precpu empty)."""
    return {
        "read": "2026-11-30T10:00:00.000000000Z", "preread": "0001-01-01T00:00:00Z",
        "pids_stats": {"current": 12, "limit": 18446744073709551615},
        "blkio_stats": {"io_service_bytes_recursive": None},
        "num_procs": 0, "storage_stats": {},
        "cpu_stats": {"cpu_usage": {"total_usage": c["cpu_ns"], "usage_in_kernelmode": 0, "usage_in_usermode": 0},
                      "system_cpu_usage": c["system_ns"], "online_cpus": 8,
                      "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0}},
        "precpu_stats": {"cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0, "usage_in_usermode": 0},
                         "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0}},
        "memory_stats": {"usage": c["mem"] + 20_000_000, "limit": 8_000_000_000,
                         "stats": {"active_anon": c["mem"], "inactive_file": 20_000_000, "file": 30_000_000}},
        "name": "/" + c["name"], "id": c["id"],
        "networks": {"eth0": {"rx_bytes": c["rx"], "rx_packets": 10, "rx_errors": 0, "rx_dropped": 0,
                              "tx_bytes": c["tx"], "tx_packets": 10, "tx_errors": 0, "tx_dropped": 0}},
    }


@contextmanager
def fake_engine(path: str, containers: dict[str, dict[str, Any]] | None = None,
                system_df: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    """Serve ``state["containers"]`` ({id: container(...)}) on the unix socket ``path``; ``state["hits"]``
    counts requests by kind ("list", "inspect", "stats", "df"), ``state["delay"]`` slows every reply, ids in
    ``state["gone"]`` are listed but answer 404 to inspect and stats (removed between the list and the rest).
    A container's "status", when set, is the list's Status ("Up 4 seconds": restarted since)."""
    state: dict[str, Any] = {"containers": containers if containers is not None else {}, "system_df": system_df,
                             "hits": {"list": 0, "inspect": 0, "stats": 0, "df": 0}, "delay": 0.0,
                             "gone": set()}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # kept alive, as dockerd

        def log_message(self, *args: Any) -> None:
            pass

        def address_string(self) -> str:
            return "unix"

        def _reply(self, status: int, doc: Any) -> None:
            body = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802
            time.sleep(state["delay"])
            path = urlsplit(self.path).path
            parts = path.strip("/").split("/")
            cs = state["containers"]
            if path == "/system/df" and state["system_df"] is not None:
                state["hits"]["df"] += 1
                return self._reply(200, state["system_df"])
            if path == "/containers/json":
                state["hits"]["list"] += 1
                return self._reply(200, [
                    {"Id": c["id"], "Names": ["/" + c["name"]], "Image": c["image"], "ImageID": "sha256:00",
                     "Command": "run", "Created": 1764400000, "Ports": [], "Labels": {}, "State": c["state"],
                     "Status": c.get("status") or ("Up 2 hours" if c["state"] == "running"
                                                   else "Exited (1) 3 minutes ago")}
                    for c in cs.values()])
            if len(parts) == 3 and parts[0] == "containers" and parts[1] in cs and parts[1] not in state["gone"]:
                c = cs[parts[1]]
                if parts[2] == "json":
                    state["hits"]["inspect"] += 1
                    return self._reply(200, {"Id": c["id"], "Name": "/" + c["name"], "RestartCount": c["restarts"],
                                             "State": {"Status": c["state"]}})
                if parts[2] == "stats":
                    state["hits"]["stats"] += 1
                    return self._reply(200, stats_doc(c))
            return self._reply(404, {"message": f"No such container: {path}"})

    server = _UnixServer(path, Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["path"] = path
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def serve(path: str, count: int) -> None:
    """Serve ``count`` running containers and /system/df on ``path`` until killed (bench/agent runs this in a
    process of its own, so that the engine's CPU is not counted as the agent's)."""
    from tests.agent.fixtures import SYSTEM_DF_LEGACY

    cs = {c["id"]: c for c in (container(i, system_ns=10**12, rx=i, tx=i) for i in range(count))}
    with fake_engine(path, cs, system_df=SYSTEM_DF_LEGACY):
        threading.Event().wait()


if __name__ == "__main__":
    import sys

    serve(sys.argv[1], int(sys.argv[2]))
