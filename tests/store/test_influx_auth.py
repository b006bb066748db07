"""A real influxd 1.6.7 with ``auth-enabled = true`` and an admin user: the store works with the right Basic
credentials (creates its database, writes, reads back), and the wrong or missing ones are a clear StoreError,
never a silent empty answer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from statusmon.store.base import Sample, StoreError
from statusmon.store.influx import InfluxStore
from tests.support.influxd import Influxd, start_influxd

pytestmark = pytest.mark.influx

ADMIN = ("statusmon", "s3cret-pass")


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Influxd]:
    server = start_influxd(tmp_path_factory.mktemp("influx-auth"), admin=ADMIN)
    try:
        yield server
    finally:
        server.stop()


def test_the_server_really_demands_credentials(secured: Influxd) -> None:
    assert requests.get(secured.url + "/query", params={"q": "SHOW DATABASES"}, timeout=5).status_code == 401
    assert requests.get(secured.url + "/query", params={"q": "SHOW DATABASES"}, auth=ADMIN,
                        timeout=5).status_code == 200


def test_basic_credentials_write_and_read_back(secured: Influxd) -> None:
    store = InfluxStore(secured.url, db="authed", user=ADMIN[0], password=ADMIN[1], timeout=5)
    try:
        now = int(time.time())
        store.write("c1", "web-1", [Sample(ts=now - 10, values={"cpu_percent": 42.5}),
                                    Sample(ts=now - 5, values={"cpu_percent": 57.5})])
        stats = store.stats("c1", now - 60, now + 1, ["cpu_percent"])["cpu_percent"]
        assert (stats.count, stats.min, stats.max) == (2, 42.5, 57.5)
    finally:
        store.close()


@pytest.mark.parametrize("user, password", [("", ""), (ADMIN[0], "wrong-password")])
def test_missing_or_wrong_credentials_are_a_store_error(secured: Influxd, user: str, password: str,
                                                        tmp_path: Path) -> None:
    store = InfluxStore(secured.url, db="authed_bad", user=user, password=password, timeout=5)
    try:
        with pytest.raises(StoreError):
            store.write("c1", "web-1", [Sample(ts=int(time.time()), values={"cpu_percent": 1.0})])
    finally:
        store.close()
