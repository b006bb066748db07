"""infra/agent/install.sh installs the lock: the agent venv holds requirements/agent.txt's versions exactly, and
``--pip-args "--no-index --find-links DIR"`` installs on a host without PyPI from a directory of those wheels."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.utils import canonicalize_name

from tests.install.lockfiles import LOCK_DIR, ROOT, read_lock

pytestmark = pytest.mark.integration


def test_install_sh_without_an_index_installs_the_locked_agent_from_a_wheel_directory(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    download = subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "-d", str(wheels),
         "-r", str(LOCK_DIR / "build.txt"), "-r", str(LOCK_DIR / "agent.txt")],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert download.returncode == 0, download.stderr
    root = tmp_path / "root"
    done = subprocess.run(
        ["sh", str(ROOT / "infra" / "agent" / "install.sh"), "--prefix", str(root), "--python", sys.executable,
         "--server", "https://mon.example.com", "--token", "t0ken", "--pip-args",
         f"--no-index --find-links {wheels}"],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    venv = root / "opt" / "statusmon-agent" / "current"
    listed = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format", "json"],
                            capture_output=True, text=True, check=True).stdout
    versions: dict[str, str] = {canonicalize_name(p["name"]): p["version"] for p in json.loads(listed)}
    for pin in read_lock(LOCK_DIR / "agent.txt"):
        if not pin.marker or Marker(pin.marker).evaluate():
            assert versions.get(pin.name) == pin.version, pin.name
    assert "statusmon" in versions and "flask" not in versions
