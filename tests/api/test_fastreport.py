"""POST /api/report is answered in front of Flask (api/fastreport.py) exactly as the Flask route answers it:
same status line, same headers in the same order, same body bytes, for a table of good and bad requests;
nothing written on bad input; every other request still reaches Flask."""

from __future__ import annotations

import functools
import gzip
import io
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client, TestResponse

from tests.api.conftest import Api, good_sample, make_api

NOW = int(time.time())
TOKEN = "<token>"  # replaced by each app's own token


def report(*samples: dict[str, Any], **extra: Any) -> bytes:
    return json.dumps({"agent_version": "0.1.0", "samples": list(samples), **extra}).encode()


JSON = {"Content-Type": "application/json"}
AUTH = {"Authorization": f"Bearer {TOKEN}", **JSON}
GZ = {**AUTH, "Content-Encoding": "gzip"}

# (name, headers, body): each is sent to both paths of two identical apps, in this order.
CASES: list[tuple[str, dict[str, str], bytes]] = [
    ("good", AUTH, report(good_sample(NOW - 30))),
    ("good, gzip", GZ, gzip.compress(report(good_sample(NOW - 29)))),
    ("good, GZIP spelt in capitals", {**GZ, "Content-Encoding": "GZIP"}, gzip.compress(report(good_sample(NOW - 28)))),
    ("good, charset parameter", {**AUTH, "Content-Type": "application/json; charset=utf-8"},
     report(good_sample(NOW - 27))),
    ("good, mimetype in capitals", {**AUTH, "Content-Type": "Application/JSON"}, report(good_sample(NOW - 26))),
    ("good, a late sample (marks its minute for the rollups)", AUTH, report(good_sample(NOW - 20 * 3600))),
    ("good, labels and dropped", AUTH, report(good_sample(NOW - 25), labels={"env": "prod"}, dropped=3)),
    ("no samples", AUTH, b'{"samples": []}'),
    ("no Authorization", JSON, report(good_sample(NOW))),
    ("a wrong token", {**AUTH, "Authorization": "Bearer abc.def"}, report(good_sample(NOW))),
    ("Basic, not Bearer", {**AUTH, "Authorization": "Basic dXNlcjpwYXNz"}, report(good_sample(NOW))),
    ("Bearer and nothing", {**AUTH, "Authorization": "Bearer "}, report(good_sample(NOW))),
    ("bad token and bad body: 401 first", {"Authorization": "Bearer x"}, b"not json"),
    ("text/plain", {**AUTH, "Content-Type": "text/plain"}, report(good_sample(NOW))),
    ("no Content-Type", {"Authorization": f"Bearer {TOKEN}"}, report(good_sample(NOW))),
    ("form content type", {**AUTH, "Content-Type": "application/x-www-form-urlencoded"}, b"a=1"),
    ("unknown encoding", {**AUTH, "Content-Encoding": "br"}, report(good_sample(NOW))),
    ("empty body", AUTH, b""),
    ("malformed JSON", AUTH, b'{"samples": ['),
    ("NaN", AUTH, b'{"samples": [{"ts": %d, "cpu_percent": NaN}]}' % NOW),
    ("good, UTF-16 (json.loads detects it)", AUTH, report(good_sample(NOW - 24)).decode().encode("utf-16")),
    ("invalid UTF-8", AUTH, b'{"agent_version": "\xff", "samples": []}'),
    ("broken gzip", GZ, b"\x1f\x8b\x08garbage"),
    ("truncated gzip", GZ, gzip.compress(report(good_sample(NOW)))[:-12]),
    ("gzip bomb", GZ, gzip.compress(b"[" + b" " * 9_000_000 + b"]")),
    ("body over the limit", AUTH, b" " * 1_100_000),
    ("not an object", AUTH, b"[1, 2]"),
    ("percent above 100", AUTH, report(good_sample(NOW, cpu_percent=100.5))),
    ("unknown field", AUTH, report(good_sample(NOW, load_avg=1.0))),
    ("an hour in the future", AUTH, report(good_sample(NOW + 3600))),
    ("one bad sample among good", AUTH, report(good_sample(NOW - 2), good_sample(NOW, cpu_percent=-3))),
    ("a newline in a mount", AUTH, report(good_sample(NOW, disks=[{"mount": "/x\nsystem", "used_bytes": 1,
                                                                    "total_bytes": 2}]))),
    ("non-ASCII in a message", AUTH, report(good_sample(NOW, disks=[{"mount": "/é", "used_bytes": 1,
                                                                     "total_bytes": "ü"}]))),
]


def two_apps(tmp_path: Path, request: pytest.FixtureRequest, **overrides: Any) -> tuple[Api, Api, str, str]:
    """Two identical APIs, each with the client web-1: (app, app, token, token)."""
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir(parents=True)
    a = make_api(tmp_path / "a", request, **overrides)
    b = make_api(tmp_path / "b", request, **overrides)
    request.addfinalizer(a.state.store.close)
    request.addfinalizer(b.state.store.close)
    return a, b, a.login().add_client()[1], b.login().add_client()[1]


def send(http: Client, token: str, headers: dict[str, str], data: bytes,
         method: str = "POST", path: str = "/api/report") -> TestResponse:
    hdrs = {k: v.replace(TOKEN, token) for k, v in headers.items()}
    return http.open(path, method=method, headers=hdrs, data=data)


def same(fast: TestResponse, flask: TestResponse, name: str) -> None:
    assert fast.status == flask.status, name
    assert fast.headers.to_wsgi_list() == flask.headers.to_wsgi_list(), name
    assert fast.get_data() == flask.get_data(), name


def flask_of(api: Api) -> Client:
    """A client for the Flask app behind the WSGI report path: the route as it answered before."""
    return Client(api.app.wsgi_app.flask)  # type: ignore[attr-defined]


def test_every_case_is_answered_as_the_flask_route_answers_it(tmp_path: Path,
                                                              request: pytest.FixtureRequest) -> None:
    fast, flask, fast_token, flask_token = two_apps(tmp_path, request, report_rate_per_minute=100_000)
    codes = {}
    for name, headers, data in CASES:
        a = send(fast.http, fast_token, headers, data)
        b = send(flask_of(flask), flask_token, headers, data)
        same(a, b, name)
        codes[name] = a.status_code
    # The table covers what it says (a mistake in it would make both paths agree on the wrong thing).
    assert [n for n, c in codes.items() if c == 200] == [n for n, *_ in CASES if n.startswith("good")]
    assert {codes["no Authorization"], codes["bad token and bad body: 401 first"]} == {401}
    assert {codes["text/plain"], codes["no Content-Type"], codes["unknown encoding"]} == {415}
    assert {codes["gzip bomb"], codes["body over the limit"]} == {413}
    assert {codes["malformed JSON"], codes["NaN"], codes["broken gzip"], codes["truncated gzip"]} == {400}
    assert codes["percent above 100"] == codes["one bad sample among good"] == 422
    # What both stored is the good cases' samples, and only those.
    goods = sum(1 for n, *_ in CASES if n.startswith("good"))
    for api in (fast, flask):
        client_id = next(iter(api.state.clients.list())).id
        assert api.stored_count(client_id) == goods


def test_429_with_retry_after_and_503_with_retry_after_match(tmp_path: Path,
                                                           request: pytest.FixtureRequest) -> None:
    fast, flask, fast_token, flask_token = two_apps(tmp_path, request, report_rate_per_minute=6)
    answers: list[tuple[TestResponse, TestResponse]] = []
    for ts in (NOW - 3, NOW - 2):
        answers.append((send(fast.http, fast_token, AUTH, report(good_sample(ts))),
                        send(flask_of(flask), flask_token, AUTH, report(good_sample(ts)))))
    for a, b in answers:
        same(a, b, "rate")
    assert [a.status_code for a, _ in answers] == [200, 429]
    assert int(answers[1][0].headers["Retry-After"]) > 0

    # The store refuses writes: a real SQLite file another connection holds locked, a short busy timeout.
    fast2, flask2, fast_token2, flask_token2 = two_apps(tmp_path / "locked", request)
    locks = []
    for api in (fast2, flask2):
        conn = api.state.store._conn  # type: ignore[attr-defined]
        conn.execute("PRAGMA busy_timeout=50")
        other = __import__("sqlite3").connect(api.state.store.path, isolation_level=None)  # type: ignore[attr-defined]
        other.execute("BEGIN EXCLUSIVE")
        locks.append(other)
    try:
        a = send(fast2.http, fast_token2, AUTH, report(good_sample(NOW)))
        b = send(flask_of(flask2), flask_token2, AUTH, report(good_sample(NOW)))
    finally:
        for other in locks:
            other.execute("ROLLBACK")
            other.close()
    same(a, b, "store down")
    assert a.status_code == 503 and a.headers["Retry-After"] == "5"
    assert a.json is not None and a.json["error"]["code"] == "store_unavailable"


def test_an_unexpected_error_is_a_logged_500_on_both_paths(tmp_path: Path, request: pytest.FixtureRequest,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    fast, flask, fast_token, flask_token = two_apps(tmp_path, request)
    for api in (fast, flask):
        def broken(*_: Any, **__: Any) -> Any:
            raise RuntimeError("a bug")
        api.state.writer.write = broken  # type: ignore[method-assign]
    a = send(fast.http, fast_token, AUTH, report(good_sample(NOW)))
    b = send(flask_of(flask), flask_token, AUTH, report(good_sample(NOW)))
    same(a, b, "500")
    assert a.status_code == 500
    assert [r.exc_info[1].args for r in caplog.records if r.exc_info and r.exc_info[1]] == [("a bug",)] * 2


def test_streamed_bodies_without_a_length_are_cut_at_the_limit_on_both_paths(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """A chunked body (a server that ends the stream itself, no Content-Length): werkzeug's stream stops at
    MAX_CONTENT_LENGTH and what was read is parsed, on both paths."""
    fast, flask, fast_token, flask_token = two_apps(tmp_path, request)
    padded = report(good_sample(NOW - 9)) + b" " * (2 << 20)  # valid JSON, then blanks past the limit
    cases = [("good", report(good_sample(NOW - 8))), ("blanks", b" " * (2 << 20)), ("padded", padded)]
    codes = []
    for name, data in cases:
        answers = []
        for http, token in ((fast.http, fast_token), (flask_of(flask), flask_token)):
            answers.append(http.open("/api/report", method="POST", input_stream=io.BytesIO(data),
                                     headers={"Authorization": f"Bearer {token}", "Transfer-Encoding": "chunked",
                                              **JSON},
                                     environ_overrides={"wsgi.input_terminated": True}))
        same(answers[0], answers[1], name)
        codes.append(answers[0].status_code)
    assert codes == [200, 400, 200]


def test_other_methods_and_paths_go_to_flask(sqlite_api: Api) -> None:
    flask = flask_of(sqlite_api)
    for method, path in [("GET", "/api/report"), ("PUT", "/api/report"), ("POST", "/api/report/"),
                         ("POST", "/api//report"), ("OPTIONS", "/api/report"), ("GET", "/healthz")]:
        same(send(sqlite_api.http, "", JSON, b"{}", method, path), send(flask, "", JSON, b"{}", method, path),
             f"{method} {path}")
    assert sqlite_api.http.get("/api/report").status_code == 405


def test_served_reports_never_reach_the_flask_view(sqlite_api: Api) -> None:
    """The app a server calls answers reports without the view; the view is still the route table's entry."""
    app = sqlite_api.app
    calls: list[int] = []
    view = app.view_functions["report.report"]

    @functools.wraps(view)
    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return view(*args, **kwargs)

    app.view_functions["report.report"] = spy
    _, token = sqlite_api.login().add_client()
    served: Callable[..., Any] = sqlite_api.http.post  # through app.wsgi_app, as gunicorn calls it
    r = served("/api/report", json={"samples": [good_sample(NOW - 5)]}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    assert r.json == {"stored": 1, "report_interval": sqlite_api.state.settings.report_interval}
    assert calls == []
    r = flask_of(sqlite_api).post("/api/report", json={"samples": [good_sample(NOW - 4)]},
                                  headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and calls == [1]
