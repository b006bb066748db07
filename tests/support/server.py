"""A real `statusmon server` (gunicorn + gevent) in a subprocess, on a free port, with a temp data dir.

    with start_server(tmp_path) as srv:          # SQLite
    with start_server(tmp_path, influx_url=...)   # a real influxd (tests/support/influxd.py)
        admin = srv.admin()                       # a logged-in requests.Session (CSRF header set)
        client_id, token = srv.add_client("web-1")
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import requests

ADMIN_PASSWORD = "correct-horse-battery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    def __init__(self, data_dir: Path, env: dict[str, str], port: int | None = None,
                 args: Sequence[str] = (), log_path: Path | None = None):
        self.data_dir = data_dir
        self.args = list(args)  # extra `statusmon server` arguments, e.g. ["--workers", "2"]
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = log_path or data_dir / "server.log"
        self._admin: requests.Session | None = None
        self.argv = [sys.executable, "-m", "statusmon.cli", "server"]  # bench/profile_ingest runs it profiled

    def start(self, timeout: float = 30) -> None:
        env = {**os.environ, **self.env, "STATUSMON_DATA_DIR": str(self.data_dir),
               "STATUSMON_BIND": f"127.0.0.1:{self.port}"}
        env.setdefault("STATUSMON_ADMIN_PASSWORD", ADMIN_PASSWORD)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen([*self.argv, *self.args], env=env,
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not become healthy in {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self._admin is not None:
            # An open keep-alive connection would hold gunicorn's graceful shutdown for its whole timeout.
            self._admin.close()
            self._admin = None
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)

    def admin(self) -> requests.Session:
        """A logged-in session, made once per server (logins are rate-limited)."""
        if self._admin is None:
            self._admin = self.login()
        return self._admin

    def login(self) -> requests.Session:
        s = requests.Session()
        r = s.post(self.url + "/api/login", json={"password": self.env.get("STATUSMON_ADMIN_PASSWORD",
                                                                             ADMIN_PASSWORD)}, timeout=10)
        r.raise_for_status()
        s.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        return s

    def add_client(self, hostname: str) -> tuple[str, str]:
        r = self.admin().post(self.url + "/api/clients", json={"hostname": hostname}, timeout=10)
        r.raise_for_status()
        body = r.json()
        return body["client"]["id"], body["token"]


@contextmanager
def start_server(data_dir: Path, influx_url: str | None = None, influx_db: str = "statusmon",
                 args: Sequence[str] = (), argv: Sequence[str] | None = None, **env: str) -> Iterator[ServerProcess]:
    """``argv``: what runs instead of `python -m statusmon.cli server` (bench.live --profile: the profiled server)."""
    extra = {k.upper() if k.startswith("STATUSMON_") else "STATUSMON_" + k.upper(): v for k, v in env.items()}
    if influx_url:
        extra["STATUSMON_INFLUX_URL"] = influx_url
        extra["STATUSMON_INFLUX_DB"] = influx_db
    srv = ServerProcess(data_dir, extra, args=args)
    if argv is not None:
        srv.argv = list(argv)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()
