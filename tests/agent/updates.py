"""Machinery for the updater tests: releases built from copies of this checkout, a real HTTP server on loopback
that serves the TUF repository (with switchable faults) and plays the API's update and report routes, and a
supervisor process standing in for systemd (restarts ``<root>/current/bin/statusmon agent`` on SIGHUP and when it
dies), so the updater's restart command is a real signal to a real process.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from statusmon.release import build
from statusmon.release.repository import Artifact

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "upd4te-t0ken"
PY = f"{sys.version_info.major}.{sys.version_info.minor}"
MACHINE = os.uname().machine


def source_copy(dest: Path, version: str, patch: Callable[[Path], None] | None = None) -> Path:
    """This checkout's packages at ``version`` (optionally broken by ``patch``), ready to build."""
    ignore = shutil.ignore_patterns("__pycache__", "static", "*.egg-info")
    for name in ("statusmon", "agent", "api", "alerting"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, dest / name)
    (dest / "requirements").mkdir()
    shutil.copy(ROOT / "requirements" / "agent.txt", dest / "requirements" / "agent.txt")
    init = dest / "statusmon" / "__init__.py"
    init.write_text(init.read_text().replace('__version__ = "0.1.0"', f'__version__ = "{version}"'))
    if patch is not None:
        patch(dest)
    return dest


def build_release(work: Path, version: str, cache: Path, patch: Callable[[Path], None] | None = None
                  ) -> Artifact:
    src = source_copy(work / f"src-{version}", version, patch)
    (artifact,) = build.build(src, work / "dist", [PY], [MACHINE], cache=cache)
    assert artifact.version == version
    return artifact


@dataclass
class UpdateServer:
    """Serves ``repo`` at /updates/ and plays GET /api/agent/update, POST /api/agent/update/result and
    POST /api/report (200 for the right token). Faults: ``stall`` (path suffixes answered with headers, a few
    bytes, then silence), ``redirect`` (path suffix -> Location)."""

    repo: Path
    target: str | None = None
    results: list[dict[str, Any]] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)  # agent versions seen on /api/report (User-Agent)
    stall: set[str] = field(default_factory=set)
    redirect: dict[str, str] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)
    port: int = 0
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> UpdateServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def reply(self, status: int, body: bytes, ctype: str = "application/json",
                      headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def authorized(self) -> bool:
                if self.headers.get("Authorization") == f"Bearer {TOKEN}":
                    return True
                self.reply(401, b'{"error": {"code": "unauthorized", "message": "bad token"}}')
                return False

            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/api/agent/update":
                    if self.authorized():
                        self.reply(200, json.dumps({"version": owner.target, "channel": "stable"}).encode())
                    return
                if not self.path.startswith("/updates/"):
                    return self.reply(404, b"{}")
                rel = self.path[len("/updates/"):]
                owner.fetched.append(rel)
                for suffix, where in owner.redirect.items():
                    if rel.endswith(suffix):
                        return self.reply(302, b"", headers={"Location": where + self.path})
                path = (owner.repo / rel).resolve()
                if not path.is_relative_to(owner.repo.resolve()) or not path.is_file():
                    return self.reply(404, b"not found", "text/plain")
                data = path.read_bytes()
                if any(rel.endswith(s) for s in owner.stall):
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[:10])
                    self.wfile.flush()
                    time.sleep(30)
                    return
                # Labelled the way werkzeug's send_file (and nginx's gzip_static) label a .tar.gz: the updater must
                # still verify the bytes as published, not what a decompressing client would see.
                gz = {"Content-Encoding": "gzip"} if rel.endswith(".tar.gz") else {}
                self.reply(200, data, "application/octet-stream", headers=gz)

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if not self.authorized():
                    return
                if self.path == "/api/agent/update/result":
                    owner.results.append(json.loads(raw))
                    return self.reply(200, b'{"ok": true}')
                if self.path == "/api/report":
                    payload = json.loads(gzip.decompress(raw)) if raw[:2] == b"\x1f\x8b" else json.loads(raw)
                    owner.reports.append(str(payload.get("agent_version", "")))
                    return self.reply(200, json.dumps({"stored": len(payload.get("samples", []))}).encode())
                self.reply(404, b"{}")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def write_config(path: Path, root: Path, server: str, **extra: str) -> Path:
    settings = {"server": server, "token": TOKEN, "spool_dir": str(root / "spool"), "collectors": "cpu,memory",
                "report_interval": "1", "install_root": str(root), "health_window": "30", "http_timeout": "2",
                "catchup_jitter": "0", **extra}
    (root / "spool").mkdir(parents=True, exist_ok=True)
    path.write_text("[agent]\n" + "".join(f"{k} = {v}\n" for k, v in settings.items()))
    return path


SUPERVISOR = r"""
import os, signal, subprocess, sys, time
root, config = sys.argv[1], sys.argv[2]
child = None
stop = False
restart = False
def start():
    return subprocess.Popen([os.path.join(root, "current", "bin", "statusmon"), "agent", "--config", config],
                            stdout=open(os.path.join(root, "agent.log"), "a"), stderr=subprocess.STDOUT)
def on_hup(*a):
    global restart
    restart = True
def on_term(*a):
    global stop
    stop = True
signal.signal(signal.SIGHUP, on_hup)
signal.signal(signal.SIGTERM, on_term)
child = start()
while not stop:
    time.sleep(0.1)
    if restart:
        restart = False
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill(); child.wait()
        child = start()
    elif child.poll() is not None:  # like systemd's Restart=on-failure, RestartSec=1
        time.sleep(1)
        child = start()
child.terminate()
try:
    child.wait(10)
except subprocess.TimeoutExpired:
    child.kill(); child.wait()
"""


class Supervisor:
    """The stand-in for systemd: runs the agent of ``<root>/current``; ``kill -HUP <pid>`` restarts it."""

    def __init__(self, root: Path, config: Path) -> None:
        self.root, self.config = root, config
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Supervisor:
        script = self.root / "supervisor.py"
        script.write_text(SUPERVISOR)
        self.proc = subprocess.Popen([sys.executable, str(script), str(self.root), str(self.config)])
        return self

    @property
    def restart_command(self) -> str:
        assert self.proc is not None
        return f"kill -HUP {self.proc.pid}"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run_update(root: Path, config: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real command, from the installed release: ``<root>/current/bin/statusmon agent update --once``."""
    return subprocess.run([str(root / "current" / "bin" / "statusmon"), "agent", "update", "--once", "--config",
                           str(config)], capture_output=True, text=True, timeout=timeout)


def wait_until(cond: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)
