"""Docker disk usage: the /system/df arithmetic on literal replies in the Engine API's shape, the Engine API
over a real unix socket, the du fallback, and the promise that neither ever delays a sample."""

from __future__ import annotations

import json
import logging
import os
import socketserver
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from agent.collectors.docker import DockerCollector, measure_dir, parse_du, parse_system_df
from tests.agent.fixtures import SYSTEM_DF_LEGACY, SYSTEM_DF_LEGACY_TOTAL, SYSTEM_DF_SUMMARIES


def test_legacy_reply_adds_layers_writable_layers_volumes_and_unshared_build_cache() -> None:
    assert parse_system_df(SYSTEM_DF_LEGACY) == SYSTEM_DF_LEGACY_TOTAL


def test_summary_reply_of_newer_daemons_adds_the_four_totals() -> None:
    assert parse_system_df(SYSTEM_DF_SUMMARIES) == SYSTEM_DF_LEGACY_TOTAL


def test_empty_daemon_is_zero() -> None:
    assert (
        parse_system_df({"LayersSize": 0, "Images": [], "Containers": [], "Volumes": [], "BuildCache": None})
        == 0
    )


def test_parse_du() -> None:
    assert parse_du("123456\t/var/lib/docker\n") == 123456


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


@pytest.fixture
def docker_socket(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A real HTTP server on a unix socket answering GET /system/df like dockerd."""
    state: dict[str, Any] = {"delay": 0.0, "reply": SYSTEM_DF_LEGACY, "hits": 0}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def address_string(self) -> str:
            return "unix"

        def do_GET(self) -> None:  # noqa: N802
            state["hits"] += 1
            time.sleep(state["delay"])
            body = json.dumps(state["reply"]).encode()
            self.send_response(200 if self.path == "/system/df" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    path = str(tmp_path / "docker.sock")
    server = _UnixServer(path, Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["path"] = path
    yield state
    server.shutdown()
    server.server_close()


@pytest.mark.integration
def test_it_reads_the_engine_api_in_the_background_and_reuses_the_value(
    docker_socket: dict[str, Any], tmp_path: Path
) -> None:
    c = DockerCollector(docker_socket["path"], str(tmp_path / "none"), interval=300)
    c.settle(5)
    now = time.time()
    assert c.collect(now)["docker_bytes"] == SYSTEM_DF_LEGACY_TOTAL
    assert c.collect(now + 1)["docker_bytes"] == SYSTEM_DF_LEGACY_TOTAL
    assert docker_socket["hits"] == 1 and c.source == "engine-api"


@pytest.mark.integration
def test_a_slow_daemon_never_delays_a_sample(docker_socket: dict[str, Any], tmp_path: Path) -> None:
    docker_socket["delay"] = 2.0
    t0 = time.perf_counter()
    c = DockerCollector(docker_socket["path"], str(tmp_path / "none"), interval=300)
    assert c.collect(time.time()) == {}  # nothing yet, and no waiting for it
    assert time.perf_counter() - t0 < 0.2
    c.settle(5)
    assert c.collect(time.time())["docker_bytes"] == SYSTEM_DF_LEGACY_TOTAL


@pytest.mark.integration
def test_without_the_socket_it_measures_the_data_dir_with_du(tmp_path: Path) -> None:
    data = tmp_path / "docker"
    data.mkdir()
    (data / "blob").write_bytes(os.urandom(256 * 1024))
    c = DockerCollector(str(tmp_path / "missing.sock"), str(data), interval=300)
    c.settle(30)
    value = c.collect(time.time())["docker_bytes"]
    assert value == measure_dir(str(data), 30) and value >= 256 * 1024
    assert c.source == "du"


def test_no_docker_at_all_means_no_field_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        c = DockerCollector(str(tmp_path / "missing.sock"), str(tmp_path / "missing-dir"), interval=300)
        c.settle(5)
    assert c.collect(time.time()) == {}
    assert sum("no Docker disk usage" in r.message for r in caplog.records) == 1


def test_a_stale_value_is_withdrawn(docker_socket: dict[str, Any], tmp_path: Path) -> None:
    c = DockerCollector(docker_socket["path"], str(tmp_path / "none"), interval=300)
    c.settle(5)
    assert c.collect(time.time() + 3 * 300 + 1) == {}  # no refresh since: the last value only ages


@pytest.mark.integration
def test_only_the_scheduled_refresh_measures_again(docker_socket: dict[str, Any], tmp_path: Path) -> None:
    c = DockerCollector(docker_socket["path"], str(tmp_path / "none"), interval=300)
    assert c.refresh_interval == 300
    c.settle(5)
    for i in range(5):
        c.collect(time.time() + 600 * i)  # collect never starts a measurement, however late it is
    assert docker_socket["hits"] == 1
    docker_socket["delay"] = 0.5
    c.refresh()
    c.refresh()  # one measurement at a time
    deadline = time.monotonic() + 5
    while docker_socket["hits"] < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.6)
    assert docker_socket["hits"] == 2


def test_the_breakdown_says_what_to_prune() -> None:
    from agent.collectors.docker import parse_system_df_breakdown

    legacy = parse_system_df_breakdown(SYSTEM_DF_LEGACY)
    assert legacy == {
        "docker_images_bytes": 4_200_000_000,
        "docker_containers_bytes": 120_000_000,
        "docker_volumes_bytes": 5_000_000_000,
        "docker_build_cache_bytes": 300_000_000,
        # image bb (no container): 4.2 GB layers - (3.0 - 1.0 GB used by aa's container); unused build cache
        "docker_reclaimable_bytes": 2_200_000_000 + 300_000_000,
    }
    summaries = parse_system_df_breakdown(SYSTEM_DF_SUMMARIES)
    assert {k: v for k, v in summaries.items() if k != "docker_reclaimable_bytes"} == {
        k: v for k, v in legacy.items() if k != "docker_reclaimable_bytes"}
    assert summaries["docker_reclaimable_bytes"] == 10


@pytest.mark.integration
def test_the_engine_api_source_reports_the_breakdown_beside_the_total(
    docker_socket: dict[str, Any], tmp_path: Path
) -> None:
    c = DockerCollector(docker_socket["path"], str(tmp_path / "none"), interval=300)
    c.settle(5)
    fields = c.collect(time.time())
    assert fields["docker_bytes"] == SYSTEM_DF_LEGACY_TOTAL
    assert fields["docker_images_bytes"] + fields["docker_containers_bytes"] + fields["docker_volumes_bytes"] + \
        fields["docker_build_cache_bytes"] == SYSTEM_DF_LEGACY_TOTAL
