"""InfluxDB 2.x: retention changes and client removal through its own API, every request held to its OpenAPI
contract (tests/support/openapi.py), against a loopback receiver that answers as 2.x does; the version comes
from /ping's X-Influxdb-Version, never from configuration."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from statusmon.meta.settings import unsupported
from statusmon.store.base import StoreError
from statusmon.store.influx import InfluxStore
from tests.support.openapi import check_request

BUCKETS = {"week": "b-raw", "minute": "b-minute", "hour": "b-hour"}


@dataclass
class Fake2x:
    version: str = "2.7.10"
    url: str = ""
    v2: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)  # method, path, params, body
    queries: list[str] = field(default_factory=list)
    mapped: dict[str, str] = field(default_factory=lambda: dict(BUCKETS))


@pytest.fixture
def fake() -> Iterator[Fake2x]:
    state = Fake2x()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            params = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/ping":
                self.send_response(204)
                self.send_header("X-Influxdb-Version", state.version)
                self.end_headers()
                return
            if parts.path == "/query":
                state.queries.append({k: v[0] for k, v in parse_qs(raw.decode()).items()}.get("q")
                                     or params.get("q", ""))
                # 2.x's answer to DROP SERIES and every InfluxQL statement but SELECT/SHOW over /query.
                return self._json(200, {"results": [{"statement_id": 0, "error": "not implemented"}]})
            if parts.path == "/write":
                self.send_response(204)
                self.end_headers()
                return
            body = json.loads(raw) if raw else None
            state.v2.append((self.command, parts.path, params, body))
            try:
                check_request(self.command, parts.path, params, body)
            except AssertionError as e:  # a request off the contract: answered as 2.x would, 400
                return self._json(400, {"code": "invalid", "message": str(e)})
            if parts.path == "/api/v2/orgs":
                return self._json(200, {"orgs": [{"id": "org1", "name": "ops"}]})
            if parts.path == "/api/v2/dbrps":
                rp = params.get("rp") or ("week" if params.get("default") == "true" else "")
                content = [{"id": f"m-{rp}", "orgID": params["orgID"], "bucketID": state.mapped[rp],
                            "database": params["db"], "retention_policy": rp, "default": rp == "week"}
                           ] if rp in state.mapped else []
                return self._json(200, {"content": content})
            if parts.path.startswith("/api/v2/buckets/") and self.command == "PATCH":
                return self._json(200, {"id": parts.path.rsplit("/", 1)[1], **(body or {})})
            if parts.path == "/api/v2/delete":
                self.send_response(204)
                self.end_headers()
                return
            self._json(404, {"code": "not found", "message": "path not found"})

        def _json(self, status: int, doc: object) -> None:
            data = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = _handle

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def store_for(fake: Fake2x) -> InfluxStore:
    store = InfluxStore(fake.url, db="statusmon", token="t0k")
    store.ensure_database()
    return store


def test_the_version_comes_from_ping_and_decides_what_is_honoured(fake: Fake2x) -> None:
    store = store_for(fake)
    assert store.major() == "2"
    assert unsupported(store.honours_settings) == {}
    fake.version = "3.1.0"
    three = store_for(fake)
    assert three.major() == "3"
    assert set(unsupported(three.honours_settings)) == {"retention_days", "minute_retention_days",
                                                        "hour_retention_days"}
    with pytest.raises(StoreError, match="a database per tier"):
        three.set_retention("minute", 30)


def test_a_retention_change_patches_the_tiers_bucket_within_the_contract(fake: Fake2x) -> None:
    store = store_for(fake)
    store.set_retention("minute", 30)
    store.set_retention("raw", 3)
    patches = [(path, body) for method, path, _, body in fake.v2 if method == "PATCH"]
    assert patches == [("/api/v2/buckets/b-minute", {"retentionRules": [{"type": "expire", "everySeconds": 2592000}]}),
                       ("/api/v2/buckets/b-raw", {"retentionRules": [{"type": "expire", "everySeconds": 259200}]})]
    lookups = [params for method, path, params, _ in fake.v2 if path == "/api/v2/dbrps"]
    assert lookups == [{"orgID": "org1", "db": "statusmon", "rp": "minute"},
                       {"orgID": "org1", "db": "statusmon", "default": "true"}]
    assert not fake.queries  # nothing went to InfluxQL


def test_removing_a_client_deletes_it_from_every_tiers_bucket(fake: Fake2x) -> None:
    store = store_for(fake)
    store.delete_client('odd"id')
    deletes = [(params, body) for method, path, params, body in fake.v2 if path == "/api/v2/delete"]
    assert [p for p, _ in deletes] == [{"orgID": "org1", "bucketID": b} for b in ("b-raw", "b-minute", "b-hour")]
    for _, body in deletes:
        assert body["predicate"] == 'client_id="odd\\"id"'
        assert body["start"] == "1970-01-01T00:00:00Z" and body["stop"] > "2026"
    assert not [q for q in fake.queries if q.upper().startswith("DROP")]


def test_a_tier_without_a_bucket_mapping_is_an_error_that_says_what_to_create(fake: Fake2x) -> None:
    del fake.mapped["hour"]
    store = store_for(fake)
    with pytest.raises(StoreError, match="no DBRP mapping .*'hour'"):
        store.set_retention("hour", 365)


def test_the_contract_check_catches_a_request_off_the_spec() -> None:
    with pytest.raises(AssertionError, match="undeclared query parameters"):
        check_request("POST", "/api/v2/delete", {"bucket_name": "x"}, {"start": "a", "stop": "b"})
    with pytest.raises(AssertionError, match="breaks the schema"):
        check_request("PATCH", "/api/v2/buckets/b1", {}, {"retentionRules": [{"type": "expire"}]})
    with pytest.raises(AssertionError, match="not in InfluxDB 2.x's API"):
        check_request("DELETE", "/api/v2/series", {}, None)
