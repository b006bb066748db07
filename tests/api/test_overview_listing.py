"""GET /api/clients?fields=overview: each client's latest sample cut to what the dashboard's overview shows, on
both metadata backends; every other field, the order and the label filter as in the full listing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from statusmon.meta.overview import OVERVIEW_FIELDS
from tests.api.conftest import META_PARAMS, Api, good_sample, make_api


@pytest.fixture(params=META_PARAMS)
def meta_api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    a = make_api(tmp_path, request, request.param)
    yield a
    a.state.store.close()


def listing(api: Api, query: str = "") -> dict[str, Any]:
    r = api.http.get("/api/clients" + query)
    body = r.get_json()
    assert r.status_code == 200 and isinstance(body, dict), body
    return body


def assert_slim_of(slim: dict[str, Any], full: dict[str, Any]) -> None:
    """The slim listing is the full one with each latest sample cut to the overview's fields, nothing else."""
    assert [c["id"] for c in slim["clients"]] == [c["id"] for c in full["clients"]]
    for s, f in zip(slim["clients"], full["clients"], strict=True):
        assert {k: v for k, v in s.items() if k != "latest"} == {k: v for k, v in f.items() if k != "latest"}
        if f["latest"] is None:
            assert s["latest"] is None
        else:
            assert s["latest"] == {k: f["latest"][k] for k in OVERVIEW_FIELDS if k in f["latest"]}
    assert slim["online_timeout_seconds"] == full["online_timeout_seconds"]


def test_the_overview_listing_keeps_exactly_the_overviews_fields_of_the_latest_sample(meta_api: Api) -> None:
    api = meta_api.login()
    ts = good_sample()["ts"]
    net = {"net_rx_bytes_per_s": 1250.5, "net_tx_bytes_per_s": 310.0, "load1": 0.5, "swap_percent": 2.0}
    for i, name in enumerate(["gpu-1", "web-1", "never"]):
        cid, token = api.add_client(name)
        if name != "never":
            api.report(token, {"labels": {"env": "prod" if i else "dev"},
                               "samples": [good_sample(ts - 10, cpu_percent=90.0), good_sample(ts, **net)]})
            # A replayed older batch moves neither sample back.
            api.report(token, {"samples": [good_sample(ts - 60, cpu_percent=1.0)]})
    full, slim = listing(api), listing(api, "?fields=overview")
    assert_slim_of(slim, full)
    latest = slim["clients"][0]["latest"]
    assert latest == {"ts": ts, "cpu_percent": 12.5, "ram_percent": 40.0, "disk_percent": 70.0, "inode_percent": 3.0,
                      "gpu_percent": 55.0, "docker_bytes": 123456789, "net_rx_bytes_per_s": 1250.5,
                      "net_tx_bytes_per_s": 310.0}
    assert "disks" in full["clients"][0]["latest"] and "gpus" in full["clients"][0]["latest"]
    assert listing(api, "?fields=full")["clients"] == full["clients"]  # the default, named

    # A row reported before the column existed (no stored overview part): derived from the whole sample.
    api.state.clients.db.execute("UPDATE clients SET overview_sample = NULL")
    assert_slim_of(listing(api, "?fields=overview"), full)


def test_the_overview_listing_filters_by_label_and_refuses_an_unknown_fields_value(meta_api: Api) -> None:
    api = meta_api.login()
    for name, env in (("a", "prod"), ("b", "dev"), ("c", "prod")):
        _, token = api.add_client(name)
        api.report(token, {"labels": {"env": env}, "samples": [good_sample()]})
    slim = listing(api, "?fields=overview&label=env=prod")
    assert [c["hostname"] for c in slim["clients"]] == ["a", "c"]
    assert_slim_of(slim, listing(api, "?label=env=prod"))
    for bad in ("?fields=everything", "?fields=", "?fields=overview,full"):
        r = api.http.get("/api/clients" + bad)
        error = (r.get_json() or {}).get("error", {})
        assert r.status_code == 400 and error["code"] == "bad_request" and "fields" in error["details"], bad
