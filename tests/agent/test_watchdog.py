"""The agent's watchdog: while delivery shows signs of life the agent pings systemd (WATCHDOG=1 on the
NOTIFY_SOCKET, as the unit's WatchdogSec expects); when the delivery thread stalls (here: a server that accepts
the connection and never answers, with a 60 s HTTP timeout) the pings stop and the agent exits with 70 so that
systemd restarts it. A real agent process and a real unix datagram socket play systemd; the only seam is the
silence threshold (tests/agent/watchdog_probe.py)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.runtime import EXIT_WATCHDOG
from tests.agent.agentproc import REPO, AgentProcess
from tests.agent.receiver import Receiver

pytestmark = pytest.mark.integration


def run_agent(tmp_path: Path, server: str, token: str, seconds: float) -> tuple[int | None, list[str], str]:
    """Run the agent for at most ``seconds``; return its exit code (None if still running), the messages
    systemd would have got, and its log."""
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify.sock")
    notify.bind(path)
    notify.settimeout(0.2)
    env = {**AgentProcess(tmp_path, server, token, http_timeout="60").env, "NOTIFY_SOCKET": path}
    log = tmp_path / "agent.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "tests.agent.watchdog_probe", "3"], cwd=REPO, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    messages: list[str] = []
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                messages.append(notify.recv(256).decode())
            except TimeoutError:
                pass
        code = proc.poll()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        notify.close()
    return code, messages, log.read_text(errors="replace")


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections (the kernel's backlog does) and never answers a byte."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    yield f"http://127.0.0.1:{s.getsockname()[1]}"
    s.close()


def test_a_stalled_delivery_thread_stops_the_pings_and_exits_70(tmp_path: Path, silent_server: str) -> None:
    code, messages, log = run_agent(tmp_path, silent_server, "t0ken", 30)
    assert code == EXIT_WATCHDOG, log
    assert messages[0] == "READY=1" and "WATCHDOG=1" not in messages, messages
    assert "alive but silent" in log


def test_a_healthy_agent_keeps_pinging_and_keeps_running(tmp_path: Path) -> None:
    rx = Receiver().start()
    try:
        code, messages, log = run_agent(tmp_path, rx.url, rx.token, 12)
    finally:
        rx.stop()
    assert code is None, log  # still running when the test stopped it
    assert messages[0] == "READY=1" and messages.count("WATCHDOG=1") >= 2, messages
