"""Every bad report gets a clear 4xx in the one error shape, and nothing is written (count before and after)."""

from __future__ import annotations

import gzip
import json
import time
from typing import Any

import pytest

from tests.api.conftest import Api, good_sample

NOW = int(time.time())


def body(*samples: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"agent_version": "0.1.0", "samples": list(samples), **extra}


def with_disks(n: int) -> dict[str, Any]:
    return good_sample(disks=[{"mount": f"/m{i}", "used_bytes": 1, "total_bytes": 2} for i in range(n)])


CASES: list[tuple[str, Any, int, dict[str, str]]] = [
    ("malformed JSON", b'{"samples": [', 400, {}),
    ("NaN", b'{"samples": [{"ts": %d, "cpu_percent": NaN}]}' % NOW, 400, {}),
    ("Infinity", b'{"samples": [{"ts": %d, "cpu_percent": Infinity}]}' % NOW, 400, {}),
    ("not an object", b"[1, 2]", 422, {}),
    ("wrong content type", json.dumps(body(good_sample())).encode(), 415, {"Content-Type": "text/plain"}),
    ("unknown encoding", json.dumps(body(good_sample())).encode(), 415, {"Content-Encoding": "br"}),
    ("broken gzip", b"\x1f\x8b\x08garbage", 400, {"Content-Encoding": "gzip"}),
    ("no samples", body(), 422, {}),
    ("samples missing", {"agent_version": "x"}, 422, {}),
    ("a client_id in the body", body(good_sample(), client_id="someone-else"), 422, {}),
    ("unknown metric", body(good_sample(load_avg=1.0)), 422, {}),
    ("percent above 100", body(good_sample(cpu_percent=100.5)), 422, {}),
    ("negative percent", body(good_sample(ram_percent=-1)), 422, {}),
    ("negative bytes", body(good_sample(docker_bytes=-5)), 422, {}),
    ("float bytes", body(good_sample(docker_bytes=1.5)), 422, {}),
    ("string timestamp", body(good_sample(ts="now")), 422, {}),
    ("boolean as number", body(good_sample(cpu_percent=True)), 422, {}),
    ("an hour in the future", body(good_sample(ts=NOW + 3600)), 422, {}),
    ("older than the spool age", body(good_sample(ts=NOW - 26 * 3600)), 422, {}),
    ("too many mounts", body(with_disks(65)), 422, {}),
    ("mount twice", body(good_sample(disks=[{"mount": "/", "used_bytes": 1, "total_bytes": 2}] * 2)), 422, {}),
    ("mount name too long", body(good_sample(disks=[{"mount": "/" + "x" * 300, "used_bytes": 1,
                                                      "total_bytes": 2}])), 422, {}),
    ("newline in a mount (tag injection)", body(good_sample(disks=[{"mount": "/x\nsystem,client_id=a cpu=1",
                                                                    "used_bytes": 1, "total_bytes": 2}])), 422, {}),
    ("mount ending in a backslash", body(good_sample(disks=[{"mount": "/x\\", "used_bytes": 1,
                                                              "total_bytes": 2}])), 422, {}),
    ("GPU name too long", body(good_sample(gpus=[{"index": 0, "name": "x" * 300}])), 422, {}),
    ("too many GPUs", body(good_sample(gpus=[{"index": i} for i in range(33)])), 422, {}),
    ("agent version too long", body(good_sample(), agent_version="v" * 65), 422, {}),
    # One bad sample spoils the batch: the good ones before it are not written either.
    ("one bad sample among good", body(good_sample(NOW - 2), good_sample(NOW - 1),
                                       good_sample(NOW, cpu_percent=-3)), 422, {}),
]


@pytest.mark.parametrize("name,payload,status,headers", CASES, ids=[c[0] for c in CASES])
def test_bad_report_is_refused_and_writes_nothing(api: Api, name: str, payload: Any, status: int,
                                                  headers: dict[str, str]) -> None:
    client_id, token = api.login().add_client()
    assert api.report(token, body(good_sample(NOW - 10))).status_code == 200
    before = api.stored_count(client_id)
    r = api.report(token, payload, **headers)
    assert r.status_code == status, r.json
    assert set(r.json) == {"error"} and {"code", "message"} <= set(r.json["error"])
    assert api.stored_count(client_id) == before == 1


def test_too_many_samples(sqlite_api: Api) -> None:
    client_id, token = sqlite_api.login().add_client()
    samples = [good_sample(NOW - i) for i in range(3601)]
    r = sqlite_api.report(token, body(*samples), gzipped=True)
    assert r.status_code == 422
    assert sqlite_api.stored_count(client_id) == 0


def test_body_over_the_limit_is_413(sqlite_api: Api) -> None:
    client_id, token = sqlite_api.login().add_client()
    payload = json.dumps(body(good_sample())).encode() + b" " * (1 << 20)
    r = sqlite_api.report(token, payload)
    assert r.status_code == 413 and r.json["error"]["code"] == "payload_too_large"
    assert sqlite_api.stored_count(client_id) == 0


def test_gzip_bomb_is_413_without_inflating_it(sqlite_api: Api) -> None:
    client_id, token = sqlite_api.login().add_client()
    bomb = gzip.compress(b'{"samples": [' + b" " * (64 << 20) + b"]}")
    assert len(bomb) < 1 << 20
    r = sqlite_api.report(token, bomb, **{"Content-Encoding": "gzip"})
    assert r.status_code == 413
    assert sqlite_api.stored_count(client_id) == 0


@pytest.mark.parametrize("auth", [None, "Bearer nonsense", "Bearer abc.def", "Basic dXNlcjpwYXNz", "Bearer "])
def test_report_without_a_valid_token_is_401(sqlite_api: Api, auth: str | None) -> None:
    client_id, token = sqlite_api.login().add_client()
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = auth
    r = sqlite_api.http.post("/api/report", data=json.dumps(body(good_sample())), headers=headers)
    assert r.status_code == 401
    assert sqlite_api.stored_count(client_id) == 0


def test_a_valid_token_of_another_client_writes_only_to_that_client(sqlite_api: Api) -> None:
    a_id, a_token = sqlite_api.login().add_client("a")
    b_id, _ = sqlite_api.add_client("b")
    assert sqlite_api.report(a_token, body(good_sample())).status_code == 200
    assert (sqlite_api.stored_count(a_id), sqlite_api.stored_count(b_id)) == (1, 0)


def test_report_rate_limit_answers_429_with_retry_after(request: pytest.FixtureRequest, tmp_path: Any) -> None:
    from tests.api.conftest import make_api

    api = make_api(tmp_path, request, report_rate_per_minute=6)
    client_id, token = api.login().add_client()
    codes = [api.report(token, body(good_sample(NOW - i))).status_code for i in range(3)]
    assert codes[0] == 200 and codes[-1] == 429
    r = api.report(token, body(good_sample(NOW - 10)))
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert api.stored_count(client_id) == codes.count(200)
