"""PostgreSQL-only promises of the metadata database: migrations safe when processes start at once, a real
`statusmon server` on it answering 503 with Retry-After while PostgreSQL is down and recovering by itself when it
returns, with nothing lost (the session made before the outage still works)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests

from statusmon.config import ConfigError, Settings
from statusmon.meta.migrations import MIGRATIONS
from tests.api.conftest import good_sample
from tests.support.server import start_server

pytestmark = [pytest.mark.postgres, pytest.mark.integration]

_OPEN = "import sys; from statusmon.meta.db import open_meta; print(open_meta(sys.argv[1]).version)"


def test_four_processes_migrating_one_database_at_once_apply_each_migration_once(postgres: Any) -> None:
    url = postgres.create_database("racing_migrations")
    procs = [subprocess.Popen([sys.executable, "-c", _OPEN, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(4)]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [err for _, err in results]
    assert [out.strip() for out, _ in results] == [str(len(MIGRATIONS))] * 4
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT version FROM statusmon_schema").fetchall() == [(len(MIGRATIONS),)]


def test_the_database_url_must_be_postgresql() -> None:
    with pytest.raises(ConfigError, match="STATUSMON_DATABASE_URL"):
        Settings.from_env({"STATUSMON_DATABASE_URL": "mysql://db/statusmon"})
    settings = Settings.from_env({"STATUSMON_DATABASE_URL": "postgresql://u:s3cret@db:5432/statusmon"})
    assert settings.meta_target == "postgresql://u:s3cret@db:5432/statusmon"
    assert "s3cret" not in str(settings.redacted())


def test_server_answers_503_with_retry_after_while_postgres_is_down_and_recovers(tmp_path: Path) -> None:
    from tests.support.postgres import start_postgres

    with start_postgres() as pg, start_server(tmp_path / "api", database_url=pg.url) as srv:
        admin = srv.admin()
        client_id, token = srv.add_client("web-1")
        agent = {"Authorization": f"Bearer {token}"}
        assert requests.post(srv.url + "/api/report", json={"samples": [good_sample()]}, headers=agent,
                             timeout=10).status_code == 200
        assert requests.get(srv.url + "/healthz", timeout=5).json() == {
            "status": "ok", "store": "sqlite", "metadata": "ok"}
        with psycopg.connect(pg.url) as conn:  # the metadata is in PostgreSQL, not in the data dir
            assert conn.execute("SELECT hostname FROM clients").fetchall() == [("web-1",)]
        assert not (tmp_path / "api" / "meta.db").exists()

        pg.stop()
        t0 = time.monotonic()
        listing = admin.get(srv.url + "/api/clients", timeout=10)
        report = requests.post(srv.url + "/api/report", json={"samples": [good_sample()]}, headers=agent,
                               timeout=10)
        health = requests.get(srv.url + "/healthz", timeout=10)
        assert time.monotonic() - t0 < 5
        for r in (listing, report):
            assert r.status_code == 503 and int(r.headers["Retry-After"]) > 0, r.text
            assert r.json()["error"]["code"] == "metadata_unavailable"
        assert health.status_code == 503 and health.json()["metadata"] == "down"

        pg.start()
        listing = admin.get(srv.url + "/api/clients", timeout=10)  # the session made before the outage
        assert listing.status_code == 200 and [c["id"] for c in listing.json()["clients"]] == [client_id]
        again = requests.post(srv.url + "/api/report", json={"samples": [good_sample(int(time.time()))]},
                              headers=agent, timeout=10)
        assert again.status_code == 200
        assert requests.get(srv.url + "/healthz", timeout=5).json() == {
            "status": "ok", "store": "sqlite", "metadata": "ok"}


def _statusmon(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "STATUSMON_DATA_DIR": str(tmp_path), "STATUSMON_DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "statusmon.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_the_cli_and_the_alerting_worker_use_the_database_url(postgres: Any, tmp_path: Path) -> None:
    url = postgres.create_database("cli_and_worker")
    added = _statusmon(url, tmp_path, "client", "add", "web-1")
    assert added.returncode == 0, added.stderr
    listed = _statusmon(url, tmp_path, "client", "list")
    assert listed.returncode == 0 and "web-1" in listed.stdout, listed.stderr
    once = _statusmon(url, tmp_path, "alerting", "--once")
    assert once.returncode == 0, once.stderr
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT hostname FROM clients").fetchall() == [("web-1",)]
        beat = conn.execute("SELECT last_cycle_at, last_error FROM alert_worker WHERE id = 1").fetchone()
    assert beat is not None and beat[0] > time.time() - 120 and beat[1] is None
    assert not (tmp_path / "meta.db").exists()


_GEVENT = """
from gevent import monkey; monkey.patch_all()
import sys, time, gevent
from statusmon.meta.db import open_meta
db = open_meta(sys.argv[1])
ticks = []
def ticker():
    for _ in range(20):
        ticks.append(time.monotonic())
        gevent.sleep(0.05)
g = gevent.spawn(ticker)
gevent.sleep(0)
t0 = time.monotonic()
db.query_one("SELECT pg_sleep(0.5)")
print(sum(1 for t in ticks if t0 < t < t0 + 0.5))
g.join()
"""


def test_a_slow_query_lets_other_greenlets_run_under_gevent(postgres: Any) -> None:
    """The API's gevent worker keeps serving while one request waits on PostgreSQL (psycopg >= 3.1.14 waits
    through gevent's patched select once gevent has patched it)."""
    url = postgres.create_database("gevent_wait")
    out = subprocess.run([sys.executable, "-c", _GEVENT, url], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) >= 5  # a tick every 50 ms went on during the 500 ms query


def test_two_replicas_on_one_database_share_logins_clients_and_settings(postgres: Any, tmp_path: Path) -> None:
    """Two `statusmon server` processes (their own data dirs, one STATUSMON_DATABASE_URL): what one writes, the
    other reads at once, with no cache in between."""
    url = postgres.create_database("two_replicas")
    with start_server(tmp_path / "a", database_url=url) as a, start_server(tmp_path / "b", database_url=url) as b:
        admin = a.login()  # a session made on A...
        cookies = admin.cookies.get_dict()
        csrf = admin.headers["X-CSRF-Token"]
        assert admin.get(b.url + "/api/clients", timeout=10).status_code == 200  # ...is valid on B
        # A client added on A reports through B; removed on B, its token stops working on A.
        client_id, token = a.add_client("web-1")
        agent = {"Authorization": f"Bearer {token}"}
        assert requests.post(b.url + "/api/report", json={"samples": [good_sample()]}, headers=agent,
                             timeout=10).status_code == 200
        assert [c["hostname"] for c in admin.get(a.url + "/api/clients", timeout=10).json()["clients"]] == ["web-1"]
        # A run-time setting changed on B is what A serves.
        changed = admin.post(b.url + "/api/settings", json={"online_timeout_seconds": 123}, timeout=10)
        assert changed.status_code == 200, changed.text
        assert admin.get(a.url + "/api/settings", timeout=10).json()["online_timeout_seconds"] == 123
        assert admin.delete(b.url + f"/api/clients/{client_id}", timeout=10).status_code in (200, 204)
        assert requests.post(a.url + "/api/report", json={"samples": [good_sample()]}, headers=agent,
                             timeout=10).status_code == 401
        # A logout on B ends the session on A too (the same cookie, sent again by hand).
        assert admin.post(b.url + "/api/logout", timeout=10).status_code in (200, 204)
        again = requests.get(a.url + "/api/clients", cookies=cookies, headers={"X-CSRF-Token": csrf}, timeout=10)
        assert again.status_code == 401


def test_a_command_started_while_postgres_is_unreachable_says_so_and_exits_1(tmp_path: Path) -> None:
    from tests.support.server import free_port

    out = _statusmon(f"postgresql://statusmon:s3cret@127.0.0.1:{free_port()}/statusmon", tmp_path, "client", "list")
    assert out.returncode == 1
    assert out.stderr.startswith("metadata database unavailable: PostgreSQL at postgresql://statusmon:***@")
    assert "Traceback" not in out.stderr and "s3cret" not in out.stderr


def test_copy_to_postgresql_keeps_tokens_rules_history_and_ids_going_on(postgres: Any, tmp_path: Path) -> None:
    from statusmon.meta.alert_rules import AlertRules
    from statusmon.meta.alerts import AlertDB, CycleWrites
    from statusmon.meta.api_tokens import ApiTokens
    from statusmon.meta.clients import ClientRegistry
    from statusmon.meta.db import MetaDB, open_meta
    from statusmon.meta.settings import GlobalSettings
    from statusmon.meta.silences import Silences

    lite = MetaDB(tmp_path / "meta.db")
    client, token = ClientRegistry(lite).add("web-1")
    _, api_token = ApiTokens(lite).create("grafana")
    rule = {"client_id": client.id, "metric_type": "cpu_percent", "threshold": 90.0, "duration_sec": 60,
            "direction": "above", "mount": None, "gpu": None, "enabled": 1, "channels": ["slack"]}
    rule_ids = [AlertRules(lite).create(rule) for _ in range(3)]
    AlertDB(lite).save(CycleWrites(opened=[{
        "rule_key": f"rule:{rule_ids[0]}", "rule_id": rule_ids[0], "client_id": client.id, "hostname": "web-1",
        "metric_type": "cpu_percent", "series_key": "", "threshold": 90.0, "direction": "above", "duration_sec": 60,
        "value": 97.5, "started_at": 1_780_000_000, "fired_at": 1_780_000_060}]))
    Silences(lite).create("host", client.id, None, time.time() + 3600, "maintenance", time.time())
    GlobalSettings(lite).update({"online_timeout_seconds": 77})
    AlertDB(lite).heartbeat(1, 1.0, 2.0, 3.0, None)
    lite.close()

    url = postgres.create_database("copied")
    first = open_meta(url)
    AlertDB(first).heartbeat(2, 1.0, 2.0, 3.0, None)  # a worker ran on it already: no metadata yet
    first.close()
    out = _statusmon(url, tmp_path, "meta", "copy-to-postgresql")
    assert out.returncode == 0, out.stderr
    assert "clients: 1 rows" in out.stdout and "alert_rules: 3 rows" in out.stdout

    pg = open_meta(url)
    assert ClientRegistry(pg).authenticate(token) == ClientRegistry(pg).get(client.id) is not None
    assert ApiTokens(pg).authenticate(api_token) is not None
    assert [r["id"] for r in AlertRules(pg).list()] == rule_ids and AlertRules(pg).get(rule_ids[0])["channels"] == [
        "slack"]
    assert AlertRules(pg).create(rule) == max(rule_ids) + 1  # the sequence goes on after the copied ids
    assert [i.value for i in AlertDB(pg).history.page()] == [97.5]
    assert GlobalSettings(pg).get("online_timeout_seconds") == 77
    assert len(Silences(pg).active(time.time())) == 1
    assert AlertDB(pg).worker()["pid"] == 1  # type: ignore[index]
    pg.close()
    # Copying again would mix two installations: refused, nothing changed.
    again = _statusmon(url, tmp_path, "meta", "copy-to-postgresql")
    assert again.returncode == 1 and "already holds metadata" in again.stderr
