"""The agent as a real process (``python -m agent``) in test mode: its ledger records every sample it took,
the loss oracle the fault tests compare the store against."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


class AgentProcess:
    def __init__(self, root: Path, server: str, token: str, **settings: str) -> None:
        self.root = root
        self.ledger_path = root / "ledger.jsonl"
        self.spool_dir = settings.pop("spool_dir", str(root / "spool"))
        self.log_path = root / "agent.log"
        self.env = {
            **os.environ,
            "STATUSMON_AGENT_CONFIG": "/dev/null",
            "STATUSMON_AGENT_SERVER": server,
            "STATUSMON_AGENT_TOKEN": token,
            "STATUSMON_AGENT_SPOOL_DIR": self.spool_dir,
            "STATUSMON_AGENT_LEDGER": str(self.ledger_path),
            "STATUSMON_AGENT_COLLECTORS": "cpu,memory,disks",
            "STATUSMON_AGENT_REPORT_INTERVAL": "1",
            "STATUSMON_AGENT_BACKOFF_MAX": "1",
            "STATUSMON_AGENT_CATCHUP_JITTER": "0.5",
            "STATUSMON_AGENT_STOP_TIMEOUT": "3",
            "STATUSMON_AGENT_HTTP_TIMEOUT": "3",
            "STATUSMON_AGENT_LOG_LEVEL": "DEBUG",
        }
        self.env.update({"STATUSMON_AGENT_" + k.upper(): v for k, v in settings.items()})
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> AgentProcess:
        log = open(self.log_path, "ab")  # noqa: SIM115 - lives as long as the process
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agent"], cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout)

    def ledger(self) -> list[dict[str, Any]]:
        if not self.ledger_path.exists():
            return []
        return [json.loads(line) for line in self.ledger_path.read_text().splitlines() if line.strip()]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_samples(self, n: int, timeout: float = 30) -> None:
        wait_until(lambda: len(self.ledger()) >= n, timeout, f"{n} samples in the ledger\n{self.log()}")


def wait_until(cond: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
