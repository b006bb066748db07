"""An in-process API (Flask test client) on SQLite or on a real influxd, or with its metadata on a real
PostgreSQL (``sqlite-pgmeta``), with helpers to log in and report."""

from __future__ import annotations

import gzip
import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.app import create_app
from api.state import AppState
from statusmon.config import Settings
from tests.store.conftest import make_store

PASSWORD = "correct-horse-battery"


@dataclass
class Api:
    app: Flask
    http: FlaskClient
    csrf: str = ""

    @property
    def state(self) -> AppState:
        return self.app.extensions["statusmon"]

    def login(self) -> Api:
        r = self.http.post("/api/login", json={"password": PASSWORD})
        assert r.status_code == 200, r.json
        self.csrf = r.json["csrf_token"]  # type: ignore[index]
        return self

    def admin(self, method: str, path: str, **kw: Any) -> Any:
        headers = {"X-CSRF-Token": self.csrf, **kw.pop("headers", {})}
        return self.http.open(path, method=method, headers=headers, **kw)

    def add_client(self, hostname: str = "web-1") -> tuple[str, str]:
        r = self.admin("POST", "/api/clients", json={"hostname": hostname})
        assert r.status_code == 201, r.json
        return r.json["client"]["id"], r.json["token"]

    def report(self, token: str, body: Any, gzipped: bool = False, **headers: str) -> Any:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        hdrs = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", **headers}
        if gzipped:
            raw = gzip.compress(raw)
            hdrs["Content-Encoding"] = "gzip"
        return self.http.post("/api/report", data=raw, headers=hdrs)

    def stored_count(self, client_id: str) -> int:
        now = int(time.time())
        stats = self.state.store.stats(client_id, now - 30 * 3600, now + 3600, ["cpu_percent"])
        return stats["cpu_percent"].count


def make_api(tmp_path: Path, request: pytest.FixtureRequest, backend: str = "sqlite", **overrides: Any) -> Api:
    """``backend``: the store's ("sqlite", "influxdb"), or "sqlite-pgmeta": SQLite time series and the metadata
    in a fresh database on the session's PostgreSQL."""
    pgmeta = backend == "sqlite-pgmeta"
    if pgmeta:
        backend = "sqlite"
        overrides.setdefault("database_url", request.getfixturevalue("postgres").create_database(
            f"api_{next(_pg_dbs)}"))
    settings = Settings(data_dir=tmp_path, admin_password=PASSWORD, **overrides)
    store = make_store(backend, tmp_path, request)
    app = create_app(settings, store=store, start_background=False)
    if pgmeta:  # its connection back to the session's PostgreSQL (max_connections)
        request.addfinalizer(app.extensions["statusmon"].meta.close)
    app.testing = True
    return Api(app, app.test_client())


_pg_dbs = itertools.count(1)
# The API on SQLite, then with its metadata on PostgreSQL: for fixtures whose tests are about the metadata.
META_PARAMS = ["sqlite", pytest.param("sqlite-pgmeta", marks=pytest.mark.postgres)]


@pytest.fixture(params=["sqlite", pytest.param("influxdb", marks=pytest.mark.influx),
                        pytest.param("sqlite-pgmeta", marks=pytest.mark.postgres)])
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    """The API on each backend (and with its metadata on PostgreSQL), logged out."""
    a = make_api(tmp_path, request, request.param)
    yield a
    a.state.store.close()


@pytest.fixture
def sqlite_api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    a = make_api(tmp_path, request)
    yield a
    a.state.store.close()


def good_sample(ts: int | None = None, **extra: Any) -> dict[str, Any]:
    s: dict[str, Any] = {
        "ts": ts if ts is not None else int(time.time()), "cpu_percent": 12.5, "ram_percent": 40.0,
        "disk_percent": 70.0, "inode_percent": 3.0, "docker_bytes": 123456789, "gpu_percent": 55.0,
        "disks": [{"mount": "/", "used_bytes": 70, "total_bytes": 100, "inodes_used": 3, "inodes_total": 100}],
        "gpus": [{"index": 0, "uuid": "GPU-1", "name": "NVIDIA H100", "util_percent": 55.0,
                  "mem_used_bytes": 10, "mem_total_bytes": 80, "temp_c": 50.0, "power_w": 300.0}],
    }
    s.update(extra)
    return s
