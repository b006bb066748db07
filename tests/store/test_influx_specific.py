"""What only the InfluxDB backend does: database and retention set-up, auth headers, chunking, outages.

The shared behaviour (stats, series, points, deletes) is in test_contract.py, run against both backends.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from statusmon.config import Settings
from statusmon.store.base import DiskSample, Sample, StoreError, StoreUnavailable
from statusmon.store.influx import CHUNK_POINTS, InfluxStore
from tests.support.influxd import Influxd, start_influxd

pytestmark = pytest.mark.influx

NOW = (int(time.time()) // 3600 - 2) * 3600  # recent: inside the 7-day policy


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Influxd]:
    with start_influxd(tmp_path_factory.mktemp("influxd-specific")) as influx:
        yield influx


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[Influxd]:
    """An influxd this test may stop and restart."""
    with start_influxd(tmp_path / "influxd") as influx:
        yield influx


_db_counter = iter(range(1, 1_000_000))


@pytest.fixture
def db() -> str:
    return f"statusmon_t{next(_db_counter)}"


def influxql(server: Influxd, q: str, db: str = "") -> list[list[object]]:
    method = requests.get if q.startswith(("SELECT", "SHOW")) else requests.post
    resp = method(server.url + "/query", params={"q": q, "db": db, "epoch": "s"}, timeout=10)
    resp.raise_for_status()
    result = resp.json()["results"][0]
    assert "error" not in result, result
    return [row for s in result.get("series") or [] for row in s["values"]]


def system_samples(n: int, start: int = NOW) -> list[Sample]:
    return [Sample(start + i, {"cpu_percent": float(i % 100)}) for i in range(n)]


# -- database and retention ---------------------------------------------------------------------------------


def test_it_creates_the_database_with_a_7_day_default_policy_on_1x(server: Influxd, db: str) -> None:
    store = InfluxStore.from_settings(Settings(influx_url=server.url, influx_db=db, retention_days=7,
                                               minute_retention_days=30))
    store.ensure_database()
    assert store.version is not None and store.version.startswith("1.")
    assert [db] == [row[0] for row in influxql(server, "SHOW DATABASES") if row[0] == db]
    policies = influxql(server, f'SHOW RETENTION POLICIES ON "{db}"')
    # The raw samples' default policy, and one policy per history tier (never the default).
    assert [(p[0], p[1], p[4]) for p in policies] == [("week", "168h0m0s", True), ("minute", "720h0m0s", False),
                                                      ("hour", "17520h0m0s", False)]
    store.close()


def test_it_leaves_an_existing_database_and_its_policies_alone(server: Influxd, db: str) -> None:
    influxql(server, f'CREATE DATABASE "{db}" WITH DURATION 30d NAME "month"')
    store = InfluxStore(server.url, db=db)
    store.ensure_database()
    store.ensure_database()  # and again: still nothing to do
    policies = influxql(server, f'SHOW RETENTION POLICIES ON "{db}"')
    # Its default policy stays as it is; only the history tiers' policies are added beside it.
    assert [(p[0], p[1], p[4]) for p in policies] == [("month", "720h0m0s", True), ("minute", "2160h0m0s", False),
                                                      ("hour", "17520h0m0s", False)]
    store.close()


def test_it_creates_the_database_on_first_use_without_ensure_database(server: Influxd, db: str) -> None:
    store = InfluxStore(server.url, db=db)
    assert store.write("abc", "web-1", system_samples(3)) == 3
    assert store.stats("abc", NOW, NOW + 3, ["cpu_percent"])["cpu_percent"].count == 3
    store.close()


def test_it_writes_to_and_reads_from_the_configured_retention_policy(server: Influxd, db: str) -> None:
    influxql(server, f'CREATE DATABASE "{db}" WITH DURATION 7d NAME "week"')
    influxql(server, f'CREATE RETENTION POLICY "raw" ON "{db}" DURATION 1d REPLICATION 1')  # not the default
    store = InfluxStore(server.url, db=db, rp="raw")
    store.write("abc", "web-1", system_samples(5))
    assert influxql(server, f'SELECT count("cpu_percent") FROM "{db}"."raw"."system"', db) == [[0, 5]]
    assert influxql(server, f'SELECT count("cpu_percent") FROM "{db}"."week"."system"', db) == []
    assert store.stats("abc", NOW, NOW + 5, ["cpu_percent"])["cpu_percent"].count == 5
    assert len(store.series("abc", NOW, NOW + 5, None)[""].time) == 5
    store.close()


def test_a_missing_retention_policy_is_a_store_error_that_names_it(server: Influxd, db: str) -> None:
    store = InfluxStore(server.url, db=db, rp="nope")
    with pytest.raises(StoreError, match="'nope' does not exist") as exc:
        store.ensure_database()
    assert not isinstance(exc.value, StoreUnavailable)
    store.close()


# -- errors ------------------------------------------------------------------------------------------------


def test_it_is_unavailable_quickly_when_influxd_is_stopped_and_recovers(own_server: Influxd) -> None:
    store = InfluxStore(own_server.url, timeout=5)
    store.write("abc", "web-1", system_samples(2))
    own_server.stop()
    for call in (store.ping, lambda: store.write("abc", "web-1", system_samples(1)),
                 lambda: store.stats("abc", NOW, NOW + 2, ["cpu_percent"]),
                 lambda: store.series("abc", NOW, NOW + 2, 60), lambda: store.delete_client("abc")):
        t0 = time.monotonic()
        with pytest.raises(StoreUnavailable):
            call()
        assert time.monotonic() - t0 < 1.0
    own_server.start()
    store.ping()
    assert store.stats("abc", NOW, NOW + 2, ["cpu_percent"])["cpu_percent"].count == 2
    store.close()


def test_a_field_type_clash_is_a_store_error_with_influxdbs_message(server: Influxd, db: str) -> None:
    store = InfluxStore(server.url, db=db)
    # A float where the catalogue says integer, written behind the store's back.
    store.write_lines([f"system,client_id=abc,host=web-1 docker_bytes=1.5 {NOW}"])
    with pytest.raises(StoreError, match="field type conflict") as exc:
        store.write("abc", "web-1", [Sample(NOW + 1, {"docker_bytes": 2})])
    assert not isinstance(exc.value, StoreUnavailable)
    store.close()


def test_a_bad_query_is_a_store_error_with_influxdbs_message(server: Influxd, db: str) -> None:
    store = InfluxStore(server.url, db=db)
    with pytest.raises(StoreError, match="error parsing query"):
        store.query("SELECT FROM WHERE")
    store.close()


# -- a loopback receiver that plays InfluxDB, to see exactly what goes over the wire -------------------------


@dataclass
class Seen:
    method: str
    path: str
    params: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeInflux:
    version: str = "2.7.10"
    status: int = 0  # when set, every request but /ping answers with it
    delay: float = 0.0  # seconds every request but /ping waits before answering
    seen: list[Seen] = field(default_factory=list)
    url: str = ""

    def writes(self) -> list[Seen]:
        return [s for s in self.seen if s.path == "/write"]

    def queries(self) -> list[str]:
        return [s.params["q"][0] for s in self.seen if s.path == "/query"]


@pytest.fixture
def fake() -> Iterator[FakeInflux]:
    state = FakeInflux()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            params = parse_qs(parts.query) | parse_qs(body.decode()) if parts.path == "/query" else parse_qs(
                parts.query)
            state.seen.append(Seen(self.command, parts.path, params, dict(self.headers), body))
            if parts.path != "/ping":
                time.sleep(state.delay)
            if parts.path == "/ping":
                self.send_response(204)
                self.send_header("X-Influxdb-Version", state.version)
                self.end_headers()
            elif state.status:
                self._json(state.status, {"error": f"fake says {state.status}"})
            elif parts.path == "/write":
                self.send_response(204)
                self.end_headers()
            else:
                self._json(200, {"results": [{"statement_id": 0}]})

        def _json(self, status: int, doc: object) -> None:
            data = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _handle

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_it_sends_the_token_header_when_a_token_is_set(fake: FakeInflux) -> None:
    store = InfluxStore.from_settings(Settings(influx_url=fake.url, influx_token="s3cret"))
    store.write("abc", "web-1", system_samples(1))
    store.stats("abc", NOW, NOW + 1, ["cpu_percent"])
    assert fake.seen and all(s.headers.get("Authorization") == "Token s3cret" for s in fake.seen)
    assert "s3cret" not in store.describe()


def test_it_sends_basic_auth_when_a_user_is_set(fake: FakeInflux) -> None:
    settings = Settings(influx_url=fake.url, influx_user="ops", influx_password="pw:1")
    store = InfluxStore.from_settings(settings)
    store.write("abc", "web-1", system_samples(1))
    expected = "Basic " + base64.b64encode(b"ops:pw:1").decode()
    assert fake.seen and all(s.headers.get("Authorization") == expected for s in fake.seen)
    assert "pw:1" not in store.describe()


def test_it_sends_no_credentials_when_none_are_set(fake: FakeInflux) -> None:
    store = InfluxStore.from_settings(Settings(influx_url=fake.url))
    store.write("abc", "web-1", system_samples(1))
    assert fake.seen and all("Authorization" not in s.headers for s in fake.seen)


@pytest.mark.parametrize("version", ["2.7.10", "v2.0.9", "3.1.0", ""])
def test_it_creates_nothing_on_2x_and_3x(fake: FakeInflux, version: str) -> None:
    fake.version = version
    store = InfluxStore(fake.url, db="metrics")
    store.ensure_database()
    store.write("abc", "web-1", system_samples(1))
    assert not [q for q in fake.queries() if q.split()[0].upper() in ("CREATE", "ALTER", "SHOW")]
    assert [w.params["db"] for w in fake.writes()] == [["metrics"]]
    assert "rp" not in fake.writes()[0].params


def test_writes_are_chunked_at_5000_points_in_order(fake: FakeInflux) -> None:
    store = InfluxStore(fake.url)
    # 4,001 samples with a system point and a disk point each: 8,002 points.
    samples = [Sample(NOW + i, {"cpu_percent": 1.0}, disks=(DiskSample("/", 1, 2),)) for i in range(4001)]
    assert store.write("abc", "web-1", samples) == 4001
    writes = fake.writes()
    assert [len(w.body.split(b"\n")) for w in writes] == [CHUNK_POINTS, 8002 - CHUNK_POINTS]
    assert all(w.method == "POST" and w.params["precision"] == ["s"] for w in writes)
    assert writes[0].body.startswith(f"system,client_id=abc,host=web-1 cpu_percent=1.0 {NOW}\n".encode())


def test_a_batch_that_fails_validation_sends_nothing(fake: FakeInflux) -> None:
    store = InfluxStore(fake.url)
    store.ensure_database()
    samples = system_samples(12_000) + [Sample(NOW, {"cpu_percent": float("nan")})]
    with pytest.raises(ValueError, match="non-finite"):
        store.write("abc", "web-1", samples)
    assert fake.writes() == []


def test_reads_use_get_and_changes_use_post(fake: FakeInflux) -> None:
    fake.version = "3.1.0"  # creates nothing, and removal goes over /query (2.x uses its delete API instead)
    store = InfluxStore(fake.url)
    store.stats("abc", NOW, NOW + 10, ["cpu_percent"])
    store.series("abc", NOW, NOW + 10, 60, family="disk")
    store.points("gpu", NOW, NOW + 10)
    store.delete_client("ab'c\\")
    store.points("system", NOW, NOW + 10, ["cpu_percent"], client_ids=[f"{i:032x}" for i in range(100)])
    methods = [(s.method, s.params["q"][0].split()[0]) for s in fake.seen if s.path == "/query"]
    assert methods == [("GET", "SELECT"), ("GET", "SELECT"), ("GET", "SELECT"), ("POST", "DROP"),
                       ("POST", "SELECT")]
    assert fake.queries()[-2] == ('DROP SERIES FROM "system", "disk", "gpu", "net", "diskio", "temp", "container", '
                                  '"system_day", "disk_day", "gpu_day" WHERE "client_id" = \'ab\\\'c\\\\\'')
    assert all(s.params["epoch"] == ["s"] for s in fake.seen if s.path == "/query")


def test_a_long_read_is_posted_and_still_answered(server: Influxd, db: str) -> None:
    store = InfluxStore(server.url, db=db)
    clients = [f"{i:032x}" for i in range(300)]  # a query of ~16,000 characters
    for cid in clients[:3]:
        store.write(cid, "h", system_samples(2))
    found = store.points("system", NOW, NOW + 2, ["cpu_percent"], client_ids=clients)
    assert set(found) == {(cid, "") for cid in clients[:3]}
    store.close()


def test_a_slow_select_may_take_up_to_the_query_timeout_but_a_slow_write_may_not(fake: FakeInflux) -> None:
    store = InfluxStore(fake.url, timeout=0.3, query_timeout=5)
    store.ensure_database()
    fake.delay = 1.0
    store.stats("abc", NOW, NOW + 1, ["cpu_percent"])
    t0 = time.monotonic()
    with pytest.raises(StoreUnavailable):
        store.write("abc", "web-1", system_samples(1))
    assert time.monotonic() - t0 < 0.9


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_answers_are_unavailable(fake: FakeInflux, status: int) -> None:
    store = InfluxStore(fake.url)
    fake.status = status
    with pytest.raises(StoreUnavailable, match=f"{status}"):
        store.write("abc", "web-1", system_samples(1))
    with pytest.raises(StoreUnavailable):
        store.stats("abc", NOW, NOW + 1, ["cpu_percent"])


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_4xx_answers_are_store_errors_with_the_servers_message(fake: FakeInflux, status: int) -> None:
    store = InfluxStore(fake.url)
    store.ensure_database()
    fake.status = status
    with pytest.raises(StoreError, match=f"fake says {status}") as exc:
        store.write("abc", "web-1", system_samples(1))
    assert not isinstance(exc.value, StoreUnavailable)


# -- chunking against the real server ------------------------------------------------------------------------


def test_a_large_batch_is_stored_completely(server: Influxd, db: str) -> None:
    store = InfluxStore(server.url, db=db)
    assert store.write("abc", "web-1", system_samples(12_001)) == 12_001
    assert store.stats("abc", NOW, NOW + 12_001, ["cpu_percent"])["cpu_percent"].count == 12_001
    store.close()
