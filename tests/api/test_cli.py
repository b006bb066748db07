"""The `statusmon` command: clients, admin password and read-only tokens, as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from statusmon.meta.admin import AdminAuth
from statusmon.meta.clients import ClientRegistry
from statusmon.meta.db import MetaDB
from tests.api.conftest import make_api


def sm(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STATUSMON_DATA_DIR": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "statusmon.cli", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=60)


def test_client_add_prints_the_token_once_and_stores_its_hash(tmp_path: Path) -> None:
    r = sm(tmp_path, "client", "add", "gpu-box-01")
    assert r.returncode == 0, r.stderr
    lines = dict(line.split(":", 1) for line in r.stdout.splitlines() if line.startswith(("client id", "token")))
    client_id, token = lines["client id"].strip(), lines["token"].strip()
    registry = ClientRegistry(MetaDB(tmp_path / "meta.db"))
    assert registry.authenticate(token).id == client_id  # type: ignore[union-attr]
    listed = sm(tmp_path, "client", "list")
    assert "gpu-box-01" in listed.stdout and client_id in listed.stdout and token not in listed.stdout
    assert sm(tmp_path, "client", "add", "gpu-box-01").returncode == 2  # duplicate
    assert "hostname" in sm(tmp_path, "client", "add", "bad name").stderr


def test_rotate_and_remove(tmp_path: Path) -> None:
    out = sm(tmp_path, "client", "add", "web-1").stdout
    client_id = out.split("client id:")[1].split()[0]
    old = out.split("token:")[1].split()[0]
    rotated = sm(tmp_path, "client", "rotate-token", client_id)
    new = rotated.stdout.split("new token:")[1].split()[0]
    registry = ClientRegistry(MetaDB(tmp_path / "meta.db"))
    assert registry.authenticate(old) is None and registry.authenticate(new) is not None
    assert sm(tmp_path, "client", "remove", client_id).returncode == 0
    assert registry.get(client_id) is None
    assert sm(tmp_path, "client", "remove", client_id).returncode == 1


def test_admin_set_password_from_stdin(tmp_path: Path) -> None:
    assert sm(tmp_path, "admin", "set-password", "--password-stdin", stdin="short\n").returncode == 2
    r = sm(tmp_path, "admin", "set-password", "--password-stdin", stdin="a-long-password\n")
    assert r.returncode == 0, r.stderr
    auth = AdminAuth(MetaDB(tmp_path / "meta.db"), 3600)
    assert auth.check_password("a-long-password") and not auth.check_password("short")


def test_read_only_tokens(tmp_path: Path) -> None:
    r = sm(tmp_path, "token", "create", "grafana")
    assert r.returncode == 0 and "read-only token" in r.stdout and "smr_" in r.stdout
    assert " read " in sm(tmp_path, "token", "list").stdout
    assert "grafana" in sm(tmp_path, "token", "list").stdout
    assert sm(tmp_path, "token", "revoke", "grafana").returncode == 0
    assert "revoked" in sm(tmp_path, "token", "list").stdout


def test_token_create_has_no_read_only_choice_and_names_the_kinds(tmp_path: Path) -> None:
    """Without a choice to make, the flag is not offered; the help says which kinds of token exist."""
    helptext = " ".join(sm(tmp_path, "token", "create", "--help").stdout.split())  # argparse wraps lines
    assert "--read-only" not in helptext
    assert "read-only" in helptext and "Agent tokens" in helptext and "rotate-token" in helptext
    old = sm(tmp_path, "token", "create", "--read-only", "old-script")  # still accepted: same kind of token
    assert old.returncode == 0 and "read-only token 'old-script'" in old.stdout


def test_an_api_token_reads_and_changes_nothing(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The token `statusmon token create` prints (no flag) opens GET routes and is refused on every change."""
    secret = sm(tmp_path, "token", "create", "grafana").stdout.split(": ", 1)[1].split()[0]
    api = make_api(tmp_path, request)
    try:
        auth = {"Authorization": f"Bearer {secret}"}
        assert api.http.get("/api/clients", headers=auth).status_code == 200
        assert api.http.post("/api/clients", json={"hostname": "x"}, headers=auth).status_code == 403
        assert api.http.post("/api/settings", json={"retention_days": 3}, headers=auth).status_code == 403
    finally:
        api.state.store.close()


def test_a_bad_setting_stops_with_the_variable_named(tmp_path: Path) -> None:
    env = {**os.environ, "STATUSMON_DATA_DIR": str(tmp_path), "STATUSMON_INFLUX_URL": "influx:8086"}
    r = subprocess.run([sys.executable, "-m", "statusmon.cli", "server"], capture_output=True, text=True, env=env,
                       timeout=60)
    assert r.returncode == 2 and "STATUSMON_INFLUX_URL" in r.stderr


def test_the_api_imports_neither_gevent_nor_patches_anything() -> None:
    code = "import sys, api.app, statusmon.store.influx; assert 'gevent' not in sys.modules, 'gevent imported'"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60).returncode == 0


def test_the_agent_extra_pulls_no_server_packages() -> None:
    import configparser

    cfg = configparser.ConfigParser()
    cfg.read(Path(__file__).resolve().parents[2] / "setup.cfg")
    agent = cfg["options.extras_require"]["agent"].lower()
    for forbidden in ("flask", "gunicorn", "gevent", "marshmallow"):
        assert forbidden not in agent
