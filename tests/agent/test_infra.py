"""infra/agent: the hardened unit passes ``systemd-analyze verify``; the install script, run into a temporary
root (``--prefix``; CI has no systemd), builds a venv with only the agent extra, a root-only config, the unit.

The install test runs pip for real (PyPI, about 30 s): the agent extra's dependencies are what it proves."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from tests.support.require import require_executable

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "infra" / "agent" / "statusmon-agent.service"
INSTALL = REPO / "infra" / "agent" / "install.sh"


def verify(unit: Path) -> subprocess.CompletedProcess[str]:
    exe = require_executable("systemd-analyze", "/usr/bin/systemd-analyze")
    return subprocess.run([exe, "verify", str(unit)], capture_output=True, text=True, check=False)


def test_the_unit_is_hardened_and_restarts_on_failure() -> None:
    text = UNIT.read_text()
    for line in (
        "Restart=on-failure",
        "StateDirectory=statusmon-agent",
        "ProtectSystem=strict",
        "DynamicUser=yes",
        "NoNewPrivileges=yes",
        "CapabilityBoundingSet=",
        "WatchdogSec=",
        "Type=notify",
        "LoadCredential=agent.conf:/etc/statusmon/agent.conf",
        "DeviceAllow=char-nvidia-frontend rw",
    ):
        assert re.search(rf"^{re.escape(line)}", text, re.M), line


@pytest.mark.integration
def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    # verify insists that ExecStart exists: point it at an executable in a temporary root
    exe = tmp_path / "opt" / "statusmon-agent" / "bin" / "statusmon"
    exe.parent.mkdir(parents=True)
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    unit = tmp_path / "statusmon-agent.service"
    unit.write_text(UNIT.read_text().replace("/opt/statusmon-agent/", f"{tmp_path}/opt/statusmon-agent/"))
    done = verify(unit)
    assert done.returncode == 0, done.stderr
    assert "statusmon-agent.service" not in done.stderr, done.stderr


@pytest.mark.integration
def test_install_into_a_temporary_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    done = subprocess.run(
        [
            "sh",
            str(INSTALL),
            "--prefix",
            str(root),
            "--server",
            "https://mon.example.com",
            "--token",
            "s3cret-token",
            "--docker-group",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    venv = root / "opt" / "statusmon-agent"
    conf = root / "etc" / "statusmon" / "agent.conf"
    assert conf.read_text() == "[agent]\nserver = https://mon.example.com\ntoken = s3cret-token\n"
    assert stat.S_IMODE(conf.stat().st_mode) == 0o600
    unit = root / "etc" / "systemd" / "system" / "statusmon-agent.service"
    assert f"ExecStart={venv}/bin/statusmon agent" in unit.read_text()
    assert (
        "SupplementaryGroups=docker"
        in (unit.parent / "statusmon-agent.service.d" / "docker.conf").read_text()
    )
    assert verify(unit).returncode == 0
    # only the agent extra: no Flask, gevent, gunicorn or marshmallow on a monitored host
    listed = subprocess.run(
        [str(venv / "bin" / "pip"), "list", "--format", "json"], capture_output=True, text=True, check=True
    ).stdout
    names = {p["name"].lower() for p in json.loads(listed)}
    assert {"psutil", "nvidia-ml-py", "statusmon"} <= names
    assert not names & {"flask", "gevent", "gunicorn", "marshmallow"}
    once = subprocess.run(
        [str(venv / "bin" / "statusmon"), "agent", "--once"],
        capture_output=True,
        text=True,
        check=True,
        env={
            **os.environ,
            "STATUSMON_AGENT_CONFIG": str(conf),
            "STATUSMON_AGENT_COLLECTORS": "cpu,memory,disks",
        },
    )
    assert "cpu_percent" in json.loads(once.stdout)
