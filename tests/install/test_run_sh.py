"""./infra/run.sh, the README's first command, as a user runs it: it starts the server, the alerting worker and the
local agent, says "running" only once all of it works, stops everything when one part dies or on Ctrl-C, and a
second start on the same data keeps the password and the one client of this host.

It runs with this suite's venv (STATUSMON_VENV): the lock stamp that ./infra/test.sh left there says the
packages are installed, so run.sh goes straight to starting (a few seconds)."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.install.lockfiles import ROOT

RUN_SH = ROOT / "infra" / "run.sh"
HOST = socket.gethostname().split(".")[0] or "localhost"
pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RunSh:
    """infra/run.sh in its own process group (as a terminal runs it), its output collected line by line."""

    def __init__(self, data_dir: Path, port: int):
        env = {k: v for k, v in os.environ.items() if not k.startswith("STATUSMON_")}
        env.update(STATUSMON_VENV=sys.prefix, STATUSMON_DATA_DIR=str(data_dir), STATUSMON_BIND=f"127.0.0.1:{port}")
        self.port = port
        self.lines: list[str] = []
        self.proc = subprocess.Popen(["bash", str(RUN_SH)], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            assert self.proc.poll() is None or self.reader.is_alive(), f"run.sh ended:\n{self.output}"
            assert time.monotonic() < deadline, f"no {text!r} in {timeout} s:\n{self.output}"
            time.sleep(0.05)

    def children(self) -> dict[str, psutil.Process]:
        """The three statusmon processes run.sh started, by subcommand."""
        found: dict[str, psutil.Process] = {}
        for child in psutil.Process(self.proc.pid).children():
            argv = child.cmdline()
            title = " ".join(argv)  # with setproctitle installed, gunicorn's title is "... [statusmon-server]"
            for name in ("server", "alerting", "agent"):
                if name in argv or f"[statusmon-{name}]" in title:
                    found[name] = child
        return found

    def descendants(self) -> list[psutil.Process]:
        return psutil.Process(self.proc.pid).children(recursive=True)

    def finish(self, timeout: float = 60) -> int:
        rc = self.proc.wait(timeout)
        self.reader.join(5)
        return rc

    def kill(self) -> None:
        """Test clean-up: whatever is left of run.sh and every process group it started."""
        if self.proc.poll() is None:
            for p in self.descendants():
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except OSError:
                    pass
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


def healthz(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
        return int(resp.status)


def last_cycle(data_dir: Path) -> tuple[float | None, str | None]:
    conn = sqlite3.connect(data_dir / "meta.db")
    try:
        row = conn.execute("SELECT last_cycle_at, last_error FROM alert_worker WHERE id = 1").fetchone()
    finally:
        conn.close()
    return (row[0], row[1]) if row else (None, None)


def clients(data_dir: Path) -> list[dict[str, object]]:
    out = subprocess.run([Path(sys.prefix) / "bin" / "statusmon", "client", "list", "--json"], check=True,
                         capture_output=True, text=True, timeout=60,
                         env={**os.environ, "STATUSMON_DATA_DIR": str(data_dir)}).stdout
    return list(json.loads(out))


def all_gone(processes: list[psutil.Process], timeout: float = 10) -> list[psutil.Process]:
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    return [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]


@pytest.fixture
def runs() -> Iterator[list[RunSh]]:
    started: list[RunSh] = []
    yield started
    for r in started:
        r.kill()


def start(runs: list[RunSh], data_dir: Path) -> RunSh:
    r = RunSh(data_dir, free_port())
    runs.append(r)
    r.wait_for("Status Monitor is running")
    return r


def stop(r: RunSh, sig: signal.Signals) -> None:
    """Ctrl-C (SIGINT) or a service manager's SIGTERM to run.sh's process group, as a terminal sends it."""
    everything = r.descendants()
    assert len(everything) >= 4, r.output  # server, gunicorn's gevent worker, alerting worker, agent
    os.killpg(r.proc.pid, sig)
    assert r.finish() == 0, r.output
    assert "==> stopping" in r.output
    assert all_gone(everything) == [], r.output


def test_it_says_running_once_healthz_answers_and_the_worker_finished_a_cycle_and_a_dying_server_stops_all(
    runs: list[RunSh], tmp_path: Path
) -> None:
    began = time.time()
    r = start(runs, tmp_path)
    # At the moment it says so, both already hold: the API answers and this run's worker finished a cycle.
    assert healthz(r.port) == 200
    at, error = last_cycle(tmp_path)
    assert at is not None and at >= began - 1 and error is None
    password = (tmp_path / "admin-password.txt").read_text().strip()
    assert f"admin password: {password}" in r.output
    children = r.children()
    assert set(children) == {"server", "alerting", "agent"}, r.output
    everything = r.descendants()
    assert len(everything) >= 4  # + gunicorn's gevent worker
    for name in ("server", "alerting", "agent"):
        assert (tmp_path / "logs" / f"{name}.log").stat().st_size > 0

    children["server"].kill()  # SIGKILL: no goodbye from the server; its gevent worker is orphaned
    rc = r.finish()
    assert rc != 0, r.output
    assert "statusmon server stopped" in r.output
    assert "Using worker: gevent" in r.output  # the tail of server.log
    assert all_gone(everything) == [], r.output


def test_ctrl_c_stops_everything_and_a_second_start_keeps_the_password_and_the_one_client(
    runs: list[RunSh], tmp_path: Path
) -> None:
    stop(start(runs, tmp_path), signal.SIGINT)
    for name in ("server", "alerting", "agent"):  # each stopped cleanly, not killed
        assert "Traceback" not in (tmp_path / "logs" / f"{name}.log").read_text(), name
    password = (tmp_path / "admin-password.txt").read_text()
    token = (tmp_path / "local-agent.token").read_text()
    assert [c["hostname"] for c in clients(tmp_path)] == [HOST]

    r = start(runs, tmp_path)
    assert "registering" not in r.output and "rotating" not in r.output
    assert (tmp_path / "admin-password.txt").read_text() == password
    assert (tmp_path / "local-agent.token").read_text() == token
    assert [c["hostname"] for c in clients(tmp_path)] == [HOST]
    stop(r, signal.SIGTERM)


def test_a_lost_agent_token_gets_the_client_a_new_token_not_a_second_client(
    runs: list[RunSh], tmp_path: Path
) -> None:
    stop(start(runs, tmp_path), signal.SIGTERM)
    old = (tmp_path / "local-agent.token").read_text()
    (tmp_path / "local-agent.token").unlink()
    r = start(runs, tmp_path)
    assert "rotating its token" in r.output
    new = (tmp_path / "local-agent.token").read_text()
    assert new.strip() and new != old
    assert [c["hostname"] for c in clients(tmp_path)] == [HOST]
    stop(r, signal.SIGINT)


def test_a_server_that_cannot_start_is_reported_with_the_end_of_its_log(tmp_path: Path) -> None:
    with socket.socket() as taken:  # another program holds the port
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        r = RunSh(tmp_path, taken.getsockname()[1])
        try:
            rc = r.finish(120)
        finally:
            r.kill()
    assert rc != 0, r.output
    assert "is running" not in r.output
    assert "statusmon server stopped" in r.output and "Address already in use" in r.output, r.output
