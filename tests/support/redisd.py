"""Start and stop a real, throwaway ``redis-server`` (Debian's) for integration tests.

Each instance gets its own temp dir and a free loopback port; nothing is persisted (no RDB, no AOF), so a
restart starts empty, as a Redis that lost its memory would. ``stop()`` keeps the port, so a test can kill Redis
and bring it back where the servers expect it.

    with start_redis(tmp_path) as redis:
        redis.url  # redis://127.0.0.1:PORT/0
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from tests.support.require import require_executable

READY_TIMEOUT = 15.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisError(RuntimeError):
    pass


class Redisd:
    def __init__(self, root: Path, executable: str) -> None:
        self.root = root
        self.executable = executable
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = root / "redis.log"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> Redisd:
        last: Exception | None = None
        for _attempt in range(3):
            if not self.port:
                self.port = free_port()
            try:
                self._start_once()
                return self
            except RedisError as e:
                last = e
                self.port = 0
        raise RedisError(f"redis-server did not start: {last}")

    def _start_once(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        args = [self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.root),
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", str(self.log_path),
                "--protected-mode", "yes"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RedisError(f"exited with {self.proc.returncode}: {self._log_tail()}")
            if self.ping():
                return
            time.sleep(0.02)
        self.kill()
        raise RedisError(f"no PONG within {READY_TIMEOUT:.0f} s: {self._log_tail()}")

    def ping(self) -> bool:
        """A raw RESP PING (no client library needed): True when Redis answers +PONG."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if it lingers. Keeps the port for ``start()``."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None

    def kill(self) -> None:
        """SIGKILL: Redis vanishes without closing anything cleanly."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
        self.proc = None

    def _log_tail(self, n: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return "(no log)"

    def __enter__(self) -> Redisd:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def start_redis(tmp_dir: Path | str) -> Redisd:
    """Start a throwaway redis-server with its files under ``tmp_dir``; skip (fail in CI) without one."""
    executable = require_executable("redis-server", "/usr/bin/redis-server")
    return Redisd(Path(tmp_dir), executable).start()
