"""Fixtures for the Grafana API tests: an in-process app per store backend holding the test fleet."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask

from api.app import create_app
from statusmon.config import Settings
from tests.grafana.fleet import Fleet, populate

ADMIN_PASSWORD = "correct-horse-battery"


@dataclass
class GrafanaEnv:
    app: Flask
    fleet: Fleet
    token: str  # a read-only API token, as Grafana's datasource sends it
    backend: str


def make_env(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> GrafanaEnv:
    data_dir = tmp_path_factory.mktemp(f"grafana-{backend}")
    if backend == "influxdb":
        influxd = request.getfixturevalue("influxd")
        settings = Settings(
            data_dir=data_dir,
            admin_password=ADMIN_PASSWORD,
            influx_url=influxd.url,
            influx_db=f"grafana_{data_dir.name.replace('-', '_')}",
        )
    else:
        settings = Settings(data_dir=data_dir, admin_password=ADMIN_PASSWORD)
    app = create_app(settings, start_background=False)
    fleet = populate(app)
    _, token = app.extensions["statusmon"].api_tokens.create("grafana")
    return GrafanaEnv(app, fleet, token, backend)


def serve(backend: str, request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[GrafanaEnv]:
    e = make_env(backend, request, tmp_path_factory)
    yield e
    e.app.extensions["statusmon"].store.close()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("influxdb", marks=pytest.mark.influx)])
def env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GrafanaEnv]:
    yield from serve(request.param, request, tmp_path_factory)


@pytest.fixture(scope="module")
def sqlite_env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GrafanaEnv]:
    yield from serve("sqlite", request, tmp_path_factory)


@pytest.fixture(scope="module")
def influx_env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GrafanaEnv]:
    yield from serve("influxdb", request, tmp_path_factory)
