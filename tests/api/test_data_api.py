"""History endpoints: stats equal to the store's own numbers, columnar series with gaps as nulls."""

from __future__ import annotations

import time

import pytest

from api.views.series import choose_step
from statusmon.store.percentile import percentile
from tests.api.conftest import Api, good_sample

NOW = int(time.time())


def fill(api: Api, token: str, start: int, values: list[float | None]) -> None:
    samples = [good_sample(start + i, cpu_percent=v) for i, v in enumerate(values) if v is not None]
    for i in range(0, len(samples), 1000):
        assert api.report(token, {"samples": samples[i:i + 1000]}).status_code == 200


def test_stats_over_a_range_are_exact(api: Api) -> None:
    client_id, token = api.login().add_client()
    values = [float((i * 37) % 101) for i in range(600)]
    fill(api, token, NOW - 600, values)
    r = api.http.get(f"/api/stats/{client_id}?range=1h").json
    cpu = r["metrics"]["cpu_percent"]
    assert r["exact"] is True and r["range"] == "1h"
    assert cpu == {"count": 600, "min": 0.0, "max": 100.0, "avg": pytest.approx(sum(values) / 600),
                   "p95": percentile(values)}
    assert r["metrics"]["ram_percent"]["count"] == 600


def test_stats_with_from_and_to(api: Api) -> None:
    client_id, token = api.login().add_client()
    fill(api, token, NOW - 100, [float(i) for i in range(100)])
    r = api.http.get(f"/api/stats/{client_id}?from={NOW - 50}&to={NOW - 40}&metrics=cpu_percent").json
    assert r["metrics"] == {"cpu_percent": {"count": 10, "min": 50.0, "max": 59.0, "avg": 54.5, "p95": 59.0}}


@pytest.mark.parametrize("query,status", [
    ("range=2h", 400), ("range=1h&from=1", 400), ("from=10&to=5", 400), ("from=abc", 400),
    ("metrics=nope", 400), ("from=0&to=999999999", 400),
])
def test_bad_ranges_are_400(api: Api, query: str, status: int) -> None:
    client_id, _ = api.login().add_client()
    r = api.http.get(f"/api/stats/{client_id}?{query}")
    assert r.status_code == status and r.json["error"]["code"] == "bad_request"


def test_unknown_client_is_404(api: Api) -> None:
    api.login()
    assert api.http.get("/api/stats/nope?range=1h").status_code == 404
    assert api.http.get("/api/metrics/nope?range=1h").status_code == 404


def test_raw_series_are_columnar_with_a_null_in_each_gap(api: Api) -> None:
    client_id, token = api.login().add_client()
    start = NOW - 300
    fill(api, token, start, [1.0, 2.0, 3.0] + [None] * 60 + [4.0, 5.0])
    r = api.http.get(f"/api/metrics/{client_id}?from={start}&to={NOW}&metrics=cpu_percent").json
    assert r["step"] is None and r["max"] is None
    assert r["values"]["cpu_percent"] == [1.0, 2.0, 3.0, None, 4.0, 5.0]
    assert r["time"] == [start, start + 1, start + 2, start + 3, start + 63, start + 64]
    assert list(r["values"]) == ["cpu_percent"]


def test_stepped_series_fill_every_bucket(api: Api) -> None:
    client_id, token = api.login().add_client()
    start = (NOW - 600) // 60 * 60
    fill(api, token, start, [float(i % 60) for i in range(120)])
    r = api.http.get(f"/api/metrics/{client_id}?from={start}&to={start + 300}&step=60&metrics=cpu_percent").json
    assert r["step"] == 60
    assert r["time"] == [start + 60 * i for i in range(5)]
    assert r["values"]["cpu_percent"] == [29.5, 29.5, None, None, None]
    assert r["max"]["cpu_percent"] == [59.0, 59.0, None, None, None]


def test_per_mount_and_per_gpu_series(api: Api) -> None:
    client_id, token = api.login().add_client()
    fill(api, token, NOW - 10, [1.0] * 5)
    disk = api.http.get(f"/api/metrics/{client_id}?range=1h&family=disk&metrics=used_percent").json
    assert disk["series"]["/"]["values"]["used_percent"] == [70.0] * 5
    gpu = api.http.get(f"/api/metrics/{client_id}?range=1h&family=gpu").json
    assert gpu["series"]["0"]["values"]["power_w"] == [300.0] * 5


def test_long_ranges_are_bucketed_under_the_point_cap() -> None:
    assert choose_step(0, 3600, None, 11_000) is None
    assert choose_step(0, 86400, None, 11_000) == 10
    assert choose_step(0, 7 * 86400, None, 11_000) == 60
    assert choose_step(0, 7 * 86400, 1, 11_000) == 60  # a too-fine step is coarsened
    assert choose_step(0, 3600, 30, 11_000) == 30


def test_network_disk_io_temperatures_and_containers_come_back_from_the_api(api: Api) -> None:
    client_id, token = api.login().add_client()
    start = NOW - 30
    samples = []
    for i in range(10):
        s = good_sample(start + i, load1=1.5, net_rx_bytes_per_s=1000.0 * i, containers_running=2,
                        docker_images_bytes=5 * 10**9, docker_reclaimable_bytes=10**9,
                        net=[{"iface": "eno1", "rx_bytes_per_s": 1000.0 * i, "tx_bytes_per_s": 5.0}],
                        diskio=[{"device": "nvme0n1", "busy_percent": 12.5}],
                        temps=[{"sensor": "coretemp", "label": "Core 0", "temp_c": 50.0 + i}])
        if i in (0, 5):
            s["containers"] = [{"id": "abc", "name": "web", "image": "nginx:1", "state": "running",
                                "cpu_percent": 2.0 + i, "restart_count": 1}]
        samples.append(s)
    assert api.report(token, {"samples": samples}).status_code == 200
    sys_ = api.http.get(f"/api/metrics/{client_id}?from={start}&to={start + 10}&metrics=load1,net_rx_bytes_per_s").json
    assert sys_["values"]["net_rx_bytes_per_s"] == [1000.0 * i for i in range(10)]
    assert sys_["values"]["load1"] == [1.5] * 10
    net = api.http.get(f"/api/metrics/{client_id}?from={start}&to={start + 10}&family=net").json
    assert net["series"]["eno1"]["values"]["rx_bytes_per_s"][:3] == [0.0, 1000.0, 2000.0]
    temp = api.http.get(f"/api/metrics/{client_id}?from={start}&to={start + 10}&family=temp").json
    assert list(temp["series"]) == ["coretemp/Core 0"]
    cont = api.http.get(f"/api/metrics/{client_id}?from={start}&to={start + 10}&family=container").json
    assert [v for v in cont["series"]["web"]["values"]["cpu_percent"] if v is not None] == [2.0, 7.0]
    latest = api.http.get(f"/api/clients/{client_id}").json["latest"]
    assert latest["containers"][0]["cpu_percent"] == 7.0 and latest["containers_ts"] == start + 5
    assert latest["docker_images_bytes"] == 5 * 10**9 and latest["temps"][0]["temp_c"] == 59.0
    bad = api.report(token, {"samples": [good_sample(NOW, net=[{"iface": "eno1", "rx_bytes_per_s": -1.0}])]})
    assert bad.status_code == 422 and bad.json["error"]["details"]  # one JSON error shape; nothing stored
