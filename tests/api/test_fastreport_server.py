"""The real server (gunicorn, its gevent worker) answers POST /api/report in front of Flask: every report
below is answered and stored while Flask's dispatch never sees one, and every other route still goes to Flask.
Keep-alive, gzip, chunked bodies and the size limit over a real socket."""

from __future__ import annotations

import gzip
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import requests

from tests.api.conftest import good_sample
from tests.support.server import ServerProcess


def chunks(data: bytes, size: int = 4096) -> Iterator[bytes]:
    """A generator body: requests sends it with Transfer-Encoding: chunked and no Content-Length."""
    for i in range(0, len(data), size):
        yield data[i:i + size]


def test_reports_are_served_in_front_of_flask_by_the_real_server(tmp_path: Path) -> None:
    flask_log = tmp_path / "flask.log"
    srv = ServerProcess(tmp_path / "api", {"STATUSMON_TEST_FLASK_LOG": str(flask_log),
                                           "STATUSMON_REPORT_RATE_PER_MINUTE": "100000"})
    srv.argv = [sys.executable, "-m", "tests.support.spied_server"]
    srv.start()
    try:
        client_id, token = srv.add_client("web-1")
        url = srv.url + "/api/report"
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        now = int(time.time())
        agent = requests.Session()  # one kept-alive connection, as an agent has
        # A refused report whose body is never read, then good ones on the same connection.
        r = agent.post(url, data=b"x" * 50_000, headers={**auth, "Authorization": "Bearer wrong"})
        assert r.status_code == 401 and r.headers["WWW-Authenticate"] == 'Bearer realm="statusmon"'
        assert r.json() == {"error": {"code": "unauthorized", "message": "missing or invalid agent token"}}
        r = agent.post(url, data=json.dumps({"samples": [good_sample(now - 3)]}), headers=auth)
        assert r.status_code == 200 and r.json() == {"stored": 1, "report_interval": 10}
        assert (r.headers["Content-Type"], r.headers["Cache-Control"], r.headers["X-Content-Type-Options"],
                r.headers["X-Frame-Options"], r.headers["Referrer-Policy"]) == (
                    "application/json", "no-store", "nosniff", "DENY", "same-origin")
        r = agent.post(url, data=gzip.compress(json.dumps({"samples": [good_sample(now - 2)]}).encode()),
                       headers={**auth, "Content-Encoding": "gzip"})
        assert r.status_code == 200 and r.json()["stored"] == 1
        body = json.dumps({"agent_version": "9.9.9", "samples": [good_sample(now - 1)]}).encode()
        r = agent.post(url, data=chunks(body), headers=auth)
        assert "Content-Length" not in r.request.headers and r.request.headers["Transfer-Encoding"] == "chunked"
        assert r.status_code == 200 and r.json()["stored"] == 1
        # Refusals: nothing of them stored.
        r = agent.post(url, data=body, headers={**auth, "Content-Type": "text/plain"})
        assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type"
        r = agent.post(url, data=json.dumps({"samples": [good_sample(now, cpu_percent=101)]}), headers=auth)
        assert r.status_code == 422 and r.json()["error"]["code"] == "validation_failed"
        big = b" " * (2 << 20)
        r = requests.post(url, data=big, headers=auth)
        assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
        # A chunked body has no length to refuse up front: werkzeug's stream stops at the limit and what was
        # read is parsed (as the Flask route did), here a megabyte of blanks: malformed JSON.
        r = requests.post(url, data=chunks(big, 65536), headers=auth)
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
        shown = srv.admin().get(f"{srv.url}/api/clients/{client_id}", timeout=10).json()
        # The chunked report was recorded; the refused one at ``now`` was not (last seen stays at now - 1).
        assert (shown["agent_version"], shown["last_seen"], shown["latest"]["ts"]) == ("9.9.9", now - 1, now - 1)
        agent.close()
    finally:
        srv.stop()
    seen = flask_log.read_text().splitlines()
    assert "POST /api/clients" in seen and f"GET /api/clients/{client_id}" in seen  # Flask serves the rest
    assert not [line for line in seen if line.endswith("/api/report")]  # and never saw a report
