"""The README runs as written: every shell block marked ``<!-- run -->`` (or ``<!-- run: background -->``,
``<!-- run: influxdb -->``) runs, in README order, in one bash session in a fresh copy of the checkout
with a fresh data directory, against a real server the README's own background block starts, and a real influxd.

What the test changes in a block, and only that: the address ``127.0.0.1:8080`` becomes a free port, the
InfluxDB address ``127.0.0.1:8086`` the test influxd's (and ``db=statusmon`` the test's database), and the
CAPITALS placeholders (``CLIENT_ID``, ``TOKEN``) what earlier commands printed (the last ``client id:`` /
``token:`` line). The background block gets ``STATUSMON_INFLUX_URL`` (so the InfluxDB blocks find the samples
the other blocks posted) and the test's ``STATUSMON_INFLUX_DB``. A command that fails ends the session
(``set -eo pipefail``) and the test names the block and the command.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.influxd import free_port
from tests.support.require import require_executable

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MARK = re.compile(r"^<!-- run(?:: (background|influxdb))? -->\n```sh\n(.*?)^```", re.M | re.S)
DONE = "__README_BLOCK_DONE__"

pytestmark = [pytest.mark.integration, pytest.mark.influx, pytest.mark.timeout(240)]


@dataclass
class Block:
    kind: str  # "", "background" or "influxdb"
    text: str
    line: int


def readme_blocks(text: str) -> list[Block]:
    return [Block(m.group(1) or "", m.group(2), text[: m.start()].count("\n") + 2) for m in MARK.finditer(text)]


def commands(block: str) -> list[str]:
    """The block's commands: its lines, with backslash continuations joined."""
    out: list[str] = []
    for line in block.splitlines():
        if out and out[-1].endswith("\\"):
            out[-1] += "\n" + line
        elif line.strip():
            out.append(line)
    return out


def test_the_readme_marks_blocks_to_run() -> None:
    kinds = [b.kind for b in readme_blocks(README.read_text())]
    assert kinds.count("background") == 1 and "influxdb" in kinds and kinds.count("") >= 4
    assert kinds.index("background") < kinds.index("influxdb")


class Shell:
    """One bash session fed block by block; its output is read in a thread so a hung block cannot hang us."""

    def __init__(self, cwd: Path, env: dict[str, str]):
        self.proc = subprocess.Popen(["bash", "--norc", "--noprofile"], cwd=cwd, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.send("set -eo pipefail")

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def run(self, text: str, timeout: float) -> str:
        """Run ``text``; its output. Fails when a command in it fails (the session ends) or it takes too long."""
        self.send(text)
        self.send(f"echo {DONE}")
        out: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"timed out after {timeout:.0f} s; output so far:\n{''.join(out)}") from None
            if line is None:
                raise AssertionError(f"a command failed (exit {self.proc.wait()}); output:\n{''.join(out)}")
            if line.strip() == DONE:
                return "".join(out)
            out.append(line)

    def close(self) -> None:
        try:  # the session's own process group: bash, the server it started and that server's workers
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)


def _copy_checkout(dest: Path) -> None:
    """The working tree's tracked and unignored files (no venv, no node_modules, no built dashboard)."""
    names = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                           capture_output=True).stdout.decode().split("\0")
    for name in filter(None, names):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def _placeholders(output: str, found: dict[str, str]) -> None:
    for key, pattern in (("CLIENT_ID", r"^client id:\s+(\S+)"), ("TOKEN", r"^(?:new )?token:\s+(\S+)")):
        hits = re.findall(pattern, output, re.M)
        if hits:
            found[key] = hits[-1]


def _substitute(text: str, port: int, influx: str, found: dict[str, str]) -> str:
    text = text.replace("127.0.0.1:8080", f"127.0.0.1:{port}").replace("http://127.0.0.1:8086", influx)
    for key, value in found.items():
        text = re.sub(rf"(?<![A-Za-z0-9_]){key}(?![A-Za-z0-9_])", value, text)
    left = re.findall(r"(?<![A-Za-z0-9_$])(CLIENT_ID|TOKEN)(?![A-Za-z0-9_])", text)
    assert not left, f"no earlier block printed {left}"
    return text


def _wait_healthy(url: str, shell: Shell, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise AssertionError(f"the server never answered /healthz:\n{log.read_text() if log.exists() else ''}")


def test_every_marked_block_runs_as_written(tmp_path: Path, influxd: Any, influx_db_name: str) -> None:
    require_executable("npm")
    require_executable("curl")
    work = tmp_path / "checkout"
    _copy_checkout(work)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STATUSMON_", "VIRTUAL_ENV"))}
    # A reader's shell: the system python first, not the suite's venv.
    env["PATH"] = ":".join(p for p in env.get("PATH", "").split(":") if ".venv" not in p)
    env.update({"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONDONTWRITEBYTECODE": "1"})
    shell = Shell(work, env)
    found: dict[str, str] = {}
    timings: list[tuple[int, float]] = []
    try:
        for block in readme_blocks(README.read_text()):
            t0 = time.monotonic()
            if block.kind == "background":
                text = _substitute(block.text, port, influxd.url, found)
                log = work / "background.log"
                shell.send(f"export STATUSMON_INFLUX_URL={influxd.url} STATUSMON_INFLUX_DB={influx_db_name}")
                shell.send(f"( {text}\n) > {log} 2>&1 &")
                shell.send("unset STATUSMON_INFLUX_URL STATUSMON_INFLUX_DB")
                _wait_healthy(f"http://127.0.0.1:{port}", shell, log)
                out = ""
            else:
                out = ""
                for command in commands(block.text):  # one by one: a later line may use what an earlier printed
                    command = _substitute(command, port, influxd.url, found).replace(
                        "db=statusmon", f"db={influx_db_name}")
                    try:
                        printed = shell.run(command, timeout=150)
                    except AssertionError as e:
                        raise AssertionError(f"README block at line {block.line} failed at:\n{command}\n{e}") \
                            from None
                    _placeholders(printed, found)
                    out += printed
            timings.append((block.line, time.monotonic() - t0))
            if block.kind == "influxdb":  # the sample the blocks before posted is in InfluxDB, df's percentage
                assert '"used_percent"' in out or '"max"' in out, out
                assert '"series"' in out, f"the query found nothing:\n{out}"
        print("README blocks (line, seconds):", [(line, round(s, 1)) for line, s in timings])
    finally:
        shell.close()
