"""Start and stop a real, throwaway PostgreSQL (Debian's postgresql 15) for integration tests.

Each instance gets its own data directory (initdb) in a fresh temp dir and its own loopback port; it listens on
TCP only (no Unix socket), trusts local connections, and syncs nothing to disk (``fsync=off``: a test cluster
never needs to survive a power cut). PostgreSQL refuses to run as root: when the tests do, initdb and postgres
run as the ``postgres`` user, on a temp dir handed to that user.

    with start_postgres() as pg:
        psycopg.connect(pg.url)
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from tests.support.require import require

READY_TIMEOUT = 30.0


def pg_bindir() -> str | None:
    """The directory of Debian's newest initdb/postgres (they are not on PATH), or one on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                   key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    if found:
        return str(Path(found[-1]).parent)
    on_path = shutil.which("postgres")
    return str(Path(on_path).parent) if on_path else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Postgres:
    def __init__(self, bindir: str, root: Path, port: int, user: str | None):
        self.bindir, self.root, self.port, self.user = bindir, root, port, user
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def _cmd(self, *args: str) -> list[str]:
        # runuser drops root to the postgres user (PostgreSQL refuses to run as root).
        return ["runuser", "-u", self.user, "--", *args] if self.user else list(args)

    def initdb(self) -> None:
        subprocess.run(self._cmd(f"{self.bindir}/initdb", "-D", str(self.root / "data"), "-U", "postgres",
                                 "--encoding=UTF8", "--no-sync", "-A", "trust"),
                       check=True, capture_output=True)

    def start(self) -> None:
        log = open(self.root / "postgres.log", "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            self._cmd(f"{self.bindir}/postgres", "-D", str(self.root / "data"), "-p", str(self.port),
                      "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
                      "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                      "-c", "max_connections=100", "-c", "shared_buffers=16MB"),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited with {self.proc.returncode}:\n{self.log()}")
            if self.ready():
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"postgres did not become ready in {READY_TIMEOUT} s:\n{self.log()}")

    def ready(self) -> bool:
        r = subprocess.run([f"{self.bindir}/pg_isready", "-h", "127.0.0.1", "-p", str(self.port), "-q"],
                           capture_output=True)
        return r.returncode == 0

    def log(self) -> str:
        path = self.root / "postgres.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Fast shutdown (SIGINT: disconnect every client, then stop)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)

    def create_database(self, name: str) -> str:
        """A fresh database; returns its URL."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Postgres:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.cleanup()


def start_postgres() -> Postgres:
    """initdb + postgres on a free loopback port in a new temp dir (skips, or fails in CI, without PostgreSQL)."""
    bindir = pg_bindir()
    require(bindir is not None, "PostgreSQL (Debian's postgresql: initdb and postgres)")
    assert bindir is not None
    user = None
    root = Path(tempfile.mkdtemp(prefix="statusmon-pg-"))
    if os.geteuid() == 0:
        user = "postgres"
        pw = pwd.getpwnam(user)
        os.chown(root, pw.pw_uid, pw.pw_gid)
    pg = Postgres(bindir, root, _free_port(), user)
    try:
        pg.initdb()
        pg.start()
    except BaseException:
        pg.cleanup()
        raise
    return pg
