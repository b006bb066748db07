"""infra/agent: the hardened unit passes ``systemd-analyze verify``; the install script, run into a temporary
root (``--prefix``; CI has no systemd), builds a venv with only the agent extra, a root-only config, the unit.

The install test runs pip for real (PyPI, about 30 s): the agent extra's dependencies are what it proves."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.require import require_executable

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "infra" / "agent" / "statusmon-agent.service"
UPDATE_UNIT = REPO / "infra" / "agent" / "statusmon-agent-update.service"
UPDATE_TIMER = REPO / "infra" / "agent" / "statusmon-agent-update.timer"
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


def test_the_update_service_is_hardened_and_its_timer_spreads_a_fleet() -> None:
    text = UPDATE_UNIT.read_text()
    for line in ("Type=oneshot", "ProtectSystem=strict", "ReadWritePaths=/opt/statusmon-agent",
                 "NoNewPrivileges=yes", "CapabilityBoundingSet=CAP_DAC_READ_SEARCH", "PrivateDevices=yes",
                 "SystemCallFilter=@system-service", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
                 "LoadCredential=agent.conf:/etc/statusmon/agent.conf",
                 "ExecStart=/opt/statusmon-agent/current/bin/statusmon agent update --once"):
        assert re.search(rf"^{re.escape(line)}", text, re.M), line
    timer = UPDATE_TIMER.read_text()
    for line in ("OnCalendar=daily", "RandomizedDelaySec=", "Persistent=true"):
        assert re.search(rf"^{re.escape(line)}", timer, re.M), line


@pytest.mark.integration
def test_systemd_analyze_verifies_the_update_service_and_timer(tmp_path: Path) -> None:
    exe = tmp_path / "opt" / "statusmon-agent" / "current" / "bin" / "statusmon"
    exe.parent.mkdir(parents=True)
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    for src in (UPDATE_UNIT, UPDATE_TIMER):
        text = src.read_text().replace("/opt/statusmon-agent", f"{tmp_path}/opt/statusmon-agent")
        (tmp_path / src.name).write_text(text)
    done = verify(tmp_path / UPDATE_TIMER.name)
    assert done.returncode == 0, done.stderr
    assert "statusmon-agent-update" not in done.stderr, done.stderr
    done = verify(tmp_path / UPDATE_UNIT.name)
    assert done.returncode == 0 and "statusmon-agent-update" not in done.stderr, done.stderr


@pytest.mark.integration
def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    # verify insists that ExecStart exists: point it at an executable in a temporary root
    exe = tmp_path / "opt" / "statusmon-agent" / "current" / "bin" / "statusmon"
    exe.parent.mkdir(parents=True)
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    unit = tmp_path / "statusmon-agent.service"
    unit.write_text(UNIT.read_text().replace("/opt/statusmon-agent/", f"{tmp_path}/opt/statusmon-agent/"))
    done = verify(unit)
    assert done.returncode == 0, done.stderr
    assert "statusmon-agent.service" not in done.stderr, done.stderr


@pytest.mark.integration
def test_install_into_a_temporary_root_migrating_the_flat_layout(tmp_path: Path) -> None:
    root = tmp_path / "root"
    old = root / "opt" / "statusmon-agent"  # the layout before releases/: one venv right there
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(old)], check=True)
    trusted = tmp_path / "root.json"
    trusted.write_text('{"signed": {"_type": "root"}}')
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
            "--label",
            "env=prod",
            "--label",
            "role=gpu",
            "--root-metadata",
            str(trusted),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    install_root = root / "opt" / "statusmon-agent"
    venv = install_root / "current"
    assert os.readlink(venv) == "releases/0.1.0"
    assert (install_root / "releases" / "0.1.0" / ".statusmon-release-complete").exists()
    assert not (install_root / "pyvenv.cfg").exists() and not (install_root / "bin").exists()  # migrated
    assert (install_root / "trusted" / "root.json").read_text() == trusted.read_text()
    conf = root / "etc" / "statusmon" / "agent.conf"
    assert conf.read_text() == ("[agent]\nserver = https://mon.example.com\ntoken = s3cret-token\n"
                                "labels = env=prod,role=gpu\n")
    assert stat.S_IMODE(conf.stat().st_mode) == 0o600
    unit = root / "etc" / "systemd" / "system" / "statusmon-agent.service"
    assert f"ExecStart={venv}/bin/statusmon agent" in unit.read_text()
    assert (
        "SupplementaryGroups=docker"
        in (unit.parent / "statusmon-agent.service.d" / "docker.conf").read_text()
    )
    assert verify(unit).returncode == 0
    timer = unit.parent / "statusmon-agent-update.timer"
    assert f"ExecStart={venv}/bin/statusmon agent update --once" in (unit.parent / "statusmon-agent-update.service"
                                                                     ).read_text()
    assert f"ReadWritePaths={install_root}" in (unit.parent / "statusmon-agent-update.service").read_text()
    assert verify(timer).returncode == 0, verify(timer).stderr
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


@pytest.mark.parametrize("label", ["env", "Env=prod", "env=", "env=a b", "=prod", "env=x;rm", "k" * 64 + "=v"])
def test_install_refuses_a_malformed_label_before_installing_anything(tmp_path: Path, label: str) -> None:
    done = subprocess.run(["sh", str(INSTALL), "--prefix", str(tmp_path), "--server", "https://mon.example.com",
                           "--token", "t", "--label", label], capture_output=True, text=True, check=False, timeout=30)
    assert done.returncode == 2 and "--label must be key=value" in done.stderr, done.stderr
    assert not any(tmp_path.iterdir())


def test_install_refuses_a_label_key_given_twice(tmp_path: Path) -> None:
    done = subprocess.run(["sh", str(INSTALL), "--prefix", str(tmp_path), "--server", "https://mon.example.com",
                           "--token", "t", "--label", "env=prod", "--label", "env=dev"],
                          capture_output=True, text=True, check=False, timeout=30)
    assert done.returncode == 2 and "label env given twice" in done.stderr and not any(tmp_path.iterdir())
