"""Start and stop a real, throwaway ``influxd`` (Debian's 1.6.7) for integration tests.

Each instance gets its own temp dirs and its own pair of loopback ports (HTTP and the RPC bind address), so
several can run side by side. It is fast to start because everything that does background work we do not need
(the _internal monitor database, reporting, continuous queries, HTTP access logs) is switched off.

    with start_influxd(tmp_path) as influx:
        requests.get(influx.url + "/ping")
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import requests

from tests.support.require import require_executable

READY_TIMEOUT = 30.0

_CONFIG = """\
reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"

[meta]
  dir = "{root}/meta"
  retention-autocreate = true
  logging-enabled = false

[data]
  dir = "{root}/data"
  wal-dir = "{root}/wal"
  wal-fsync-delay = "0s"
  query-log-enabled = false
  index-version = "inmem"

[coordinator]
  log-queries-after = "0s"

[retention]
  enabled = true

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false
  log-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:{http_port}"
  auth-enabled = {auth}
  log-enabled = false
  suppress-write-log = true
  pprof-enabled = false

[logging]
  level = "warn"
  suppress-logo = true
"""


def free_port() -> int:
    """A port that was free a moment ago (the start retries if another process grabs it meanwhile)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class InfluxdError(RuntimeError):
    pass


class Influxd:
    """One influxd process over one data directory; ``restart()`` keeps the data and the ports."""

    def __init__(self, root: Path, executable: str, admin: tuple[str, str] | None = None) -> None:
        self.root = root
        self.executable = executable
        self.admin = admin  # (user, password): start with auth-enabled = true and this admin user
        self._admin_created = False
        self.http_port = 0
        self.rpc_port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = root / "influxd.log"
        self.config_path = root / "influxd.conf"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> Influxd:
        """Start (on the old ports after ``stop()``) and wait until ``GET /ping`` answers 204."""
        last: Exception | None = None
        for _attempt in range(3):
            if not self.http_port:
                self.http_port, self.rpc_port = free_port(), free_port()
            try:
                self._start_once()
                return self
            except InfluxdError as e:
                last = e
                self.http_port = self.rpc_port = 0  # a port may have been taken meanwhile: pick new ones
        raise InfluxdError(f"influxd did not start: {last}")

    def _start_once(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(_CONFIG.format(root=self.root, http_port=self.http_port,
                                                   rpc_port=self.rpc_port,
                                                   auth="true" if self.admin else "false"))
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child, closed after it exits
        try:
            self.proc = subprocess.Popen(
                [self.executable, "-config", str(self.config_path)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                # INFLUXDB_* variables would override the config file: keep them out.
                env={k: v for k, v in os.environ.items() if not k.startswith("INFLUXDB_")},
            )
        finally:
            log.close()
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise InfluxdError(f"exited with {self.proc.returncode}: {self._log_tail()}")
            try:
                if requests.get(self.url + "/ping", timeout=1).status_code == 204:
                    self._create_admin()
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self._kill()
        raise InfluxdError(f"no 204 from /ping within {READY_TIMEOUT:.0f} s: {self._log_tail()}")

    def _create_admin(self) -> None:
        # With auth enabled and no user yet, 1.x accepts exactly one statement unauthenticated: creating the
        # first admin. After that every query needs the credentials (a restart keeps the user).
        if self.admin is None or self._admin_created:
            return
        user, password = self.admin
        q = f"CREATE USER \"{user}\" WITH PASSWORD '{password}' WITH ALL PRIVILEGES"
        r = requests.post(self.url + "/query", data={"q": q}, timeout=10)
        if r.status_code != 200 or "error" in r.text:
            raise InfluxdError(f"could not create the admin user: {r.status_code} {r.text}")
        self._admin_created = True

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate (SIGTERM), then kill if it does not exit within ``timeout``. Keeps the data and ports."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._kill()
        self.proc = None

    def restart(self) -> Influxd:
        self.stop()
        return self.start()

    def _kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)

    def _log_tail(self, n: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return "(no log)"

    def __enter__(self) -> Influxd:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def start_influxd(tmp_dir: Path | str, admin: tuple[str, str] | None = None) -> Influxd:
    """Start a throwaway influxd with its data under ``tmp_dir``; skip (fail in CI) without influxd.
    With ``admin`` (user, password) it runs with ``auth-enabled = true`` and that admin user (Basic auth)."""
    executable = require_executable("influxd", "/usr/bin/influxd")
    return Influxd(Path(tmp_dir), executable, admin).start()
