"""The deployment: docker-compose.yml validates, and the image's commands run with the compose environment.

No Docker engine runs here, so nothing is built or started in a container. What is executed instead:
- Debian's ``docker-compose config`` validates docker-compose.yml with .env.example (skipped loudly when
  docker-compose is absent, a failure in CI), and refuses to render without the secrets;
- the api service's environment (from that rendering, or from our own interpolation of the same files) plus
  the Dockerfile's ENV, with only the hosts changed (``influxdb:8086`` -> a local influxd, the bind address
  and /data -> a free port and a temp dir), runs the image's ENTRYPOINT + the service's command
  (``statusmon server``) from this checkout; /healthz, the Dockerfile's HEALTHCHECK script, a report and
  the Grafana API are exercised against it; then the alerting service's command (``statusmon alerting``) runs
  the same way until its health check passes.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from tests.deploy.compose import (
    DOCKERFILE,
    ENV_EXAMPLE,
    ROOT,
    MissingValue,
    compose_config,
    compose_model,
    docker_compose,
    dockerfile_stages,
    env_of,
    exec_form,
    instruction,
    read_env_file,
)
from tests.support.require import require

HEALTHCHECK = ROOT / "infra" / "docker" / "healthcheck.py"
SERVICES = {"influxdb", "api", "alerting", "grafana", "postgres", "redis"}


def rendered() -> dict[str, Any]:
    """The compose model as docker-compose renders it when it is here, else as our interpolation reads it."""
    ours = compose_model(read_env_file(ENV_EXAMPLE))
    if docker_compose():
        out = compose_config(ENV_EXAMPLE)
        assert out.returncode == 0, out.stderr
        theirs = yaml.safe_load(out.stdout)
        for name in ("api", "alerting", "influxdb", "grafana"):
            assert {k: str(v) for k, v in theirs["services"][name]["environment"].items()} == {
                k: str(v) for k, v in ours["services"][name]["environment"].items()
            }, name
        return theirs
    return ours


# -- the compose file ----------------------------------------------------------------------------------------


def test_docker_compose_config_validates_the_file_with_the_example_env() -> None:
    require(docker_compose() is not None, "docker-compose (Debian package docker-compose)")
    out = compose_config(ENV_EXAMPLE)
    assert out.returncode == 0, out.stderr
    model = yaml.safe_load(out.stdout)
    assert set(model["services"]) == SERVICES
    assert set(model["volumes"]) >= {"influxdb-data", "statusmon-data", "grafana-data"}


def test_docker_compose_refuses_to_render_without_the_secrets(tmp_path: Path) -> None:
    require(docker_compose() is not None, "docker-compose (Debian package docker-compose)")
    empty = tmp_path / "empty.env"
    empty.write_text("")
    out = compose_config(empty)
    assert out.returncode != 0
    assert "in .env" in out.stderr
    with pytest.raises(MissingValue):
        compose_model({})


def test_influxdb_is_initialised_with_org_bucket_seven_days_and_the_env_token() -> None:
    env = read_env_file(ENV_EXAMPLE)
    model = rendered()
    influx = model["services"]["influxdb"]
    assert influx["image"].startswith("influxdb:2.")
    init = influx["environment"]
    assert init["DOCKER_INFLUXDB_INIT_MODE"] == "setup"
    assert init["DOCKER_INFLUXDB_INIT_RETENTION"] == "7d"
    assert init["DOCKER_INFLUXDB_INIT_ORG"] == env["INFLUX_ORG"]
    assert init["DOCKER_INFLUXDB_INIT_BUCKET"] == env["INFLUX_BUCKET"]
    assert init["DOCKER_INFLUXDB_INIT_ADMIN_TOKEN"] == env["INFLUX_ADMIN_TOKEN"]
    api = model["services"]["api"]["environment"]
    # The API reads the bucket through the v1 API: database = bucket name, the same token.
    assert api["STATUSMON_INFLUX_URL"] == "http://influxdb:8086"
    assert api["STATUSMON_INFLUX_DB"] == env["INFLUX_BUCKET"]
    assert api["STATUSMON_INFLUX_TOKEN"] == env["INFLUX_ADMIN_TOKEN"]
    assert model["services"]["alerting"]["environment"]["STATUSMON_INFLUX_DB"] == env["INFLUX_BUCKET"]
    assert any(
        str(v).endswith(":/var/lib/influxdb2") or "/var/lib/influxdb2" in str(v) for v in influx["volumes"]
    )


def test_services_share_the_metadata_volume_and_grafana_is_a_profile_with_provisioning() -> None:
    model = compose_model(read_env_file(ENV_EXAMPLE))
    services = model["services"]
    assert services["api"]["command"] == ["server", "--workers", "1"]
    assert services["alerting"]["command"] == ["alerting"]
    # Redis only in the "scale" profile, and unused (no URL) unless .env names it.
    assert services["redis"]["profiles"] == ["scale"]
    assert services["api"]["environment"]["STATUSMON_REDIS_URL"] == ""
    assert "statusmon-data:/data" in services["api"]["volumes"]
    assert "statusmon-data:/data" in services["alerting"]["volumes"]
    grafana = services["grafana"]
    assert grafana["profiles"] == ["grafana"]
    assert "simpod-json-datasource" in grafana["environment"]["GF_INSTALL_PLUGINS"]
    for mount in grafana["volumes"]:
        source = mount.split(":", 1)[0]
        if source.startswith("./"):
            assert (ROOT / source).is_dir(), mount
    # Every ${VAR} the datasource provisioning reads is set for the Grafana container.
    provisioning = (ROOT / "dashboards/grafana/provisioning/datasources/statusmon.yaml").read_text()
    wanted = set(re.findall(r"\$\{(\w+)\}", provisioning))
    assert wanted and wanted <= set(grafana["environment"]), wanted - set(grafana["environment"])


# -- the Dockerfiles -----------------------------------------------------------------------------------------


def test_the_server_image_is_multi_stage_slim_non_root_with_a_health_check() -> None:
    stages = dockerfile_stages()
    assert [s["name"] for s in stages] == ["dashboard", "wheels", "runtime"]
    runs = " ".join(instruction(stages[0], "RUN"))
    assert "npm --prefix dashboards/web ci" in runs and "npm --prefix dashboards/web run build" in runs
    final = stages[-1]
    assert not any(w == "RUN" and ("npm" in r or "node" in r.split()) for w, r in final["lines"])
    user = instruction(final, "USER")
    assert user and user[-1] not in ("root", "0")
    assert exec_form(instruction(final, "ENTRYPOINT")[-1]) == ["statusmon"]
    assert exec_form(instruction(final, "CMD")[-1]) == ["server"]
    health = instruction(final, "HEALTHCHECK")[-1]
    assert "CMD" in health and "/usr/local/lib/statusmon/healthcheck.py" in health
    for stage in stages:  # every COPY from the build context exists
        for rest in instruction(stage, "COPY"):
            if "--from=" in rest:
                continue
            for source in rest.split()[:-1]:
                assert (ROOT / source).exists(), source
    ignore = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".git", ".venv", "dashboards/web/node_modules"} <= set(ignore)
    model = compose_model(read_env_file(ENV_EXAMPLE))
    assert (ROOT / model["services"]["api"]["build"]["dockerfile"]) == DOCKERFILE


def test_the_agent_image_is_documented_as_optional() -> None:
    text = (ROOT / "infra" / "docker" / "Dockerfile.agent").read_text()
    assert "OPTIONAL" in text and "container-only" in text
    stages = dockerfile_stages(ROOT / "infra" / "docker" / "Dockerfile.agent")
    assert exec_form(instruction(stages[-1], "ENTRYPOINT")[-1]) == ["statusmon", "agent"]


# -- running the image's commands locally --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def image_command(service: dict[str, Any]) -> list[str]:
    """ENTRYPOINT + the service's command, with ``statusmon`` resolved to this checkout's install."""
    final = dockerfile_stages()[-1]
    argv = exec_form(instruction(final, "ENTRYPOINT")[-1]) + list(service["command"])
    exe = Path(sys.executable).parent / argv[0]
    return ([str(exe)] if exe.exists() else [sys.executable, "-m", "statusmon.cli"]) + argv[1:]


def local_env(service: dict[str, Any], influx_url: str, data_dir: Path, port: int) -> dict[str, str]:
    """The container's environment with only the hosts changed."""
    env = {**env_of(dockerfile_stages()[-1]), **{k: str(v) for k, v in service["environment"].items()}}
    env = {k: v.replace("http://influxdb:8086", influx_url) for k, v in env.items()}
    assert env["STATUSMON_DATA_DIR"] == "/data"
    env["STATUSMON_DATA_DIR"] = str(data_dir)
    if "STATUSMON_BIND" in env:
        assert env["STATUSMON_BIND"] == "0.0.0.0:8080"
        env["STATUSMON_BIND"] = f"127.0.0.1:{port}"
    base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    return {**base, **env}


@pytest.fixture(scope="module")
def deployment(influxd: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    model = rendered()
    data_dir = tmp_path_factory.mktemp("deploy-data")
    port = free_port()
    env = local_env(model["services"]["api"], influxd.url, data_dir, port)
    log = open(data_dir / "server.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        image_command(model["services"]["api"]),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert proc.poll() is None, (data_dir / "server.log").read_text()
            try:
                if requests.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        else:
            pytest.fail("the server did not become healthy:\n" + (data_dir / "server.log").read_text())
        yield {"model": model, "env": env, "url": url, "data_dir": data_dir, "influxd": influxd}
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(15)
        log.close()


@pytest.mark.influx
@pytest.mark.integration
def test_the_api_command_with_the_compose_environment_serves_healthz_on_influxdb(
    deployment: dict[str, Any],
) -> None:
    body = requests.get(deployment["url"] + "/healthz", timeout=5).json()
    assert body == {"status": "ok", "store": "influxdb", "metadata": "ok"}
    # The image's HEALTHCHECK command, as Docker would run it in the container.
    check = subprocess.run(
        [sys.executable, str(HEALTHCHECK)], env=deployment["env"], capture_output=True, text=True, timeout=30
    )
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.influx
@pytest.mark.integration
def test_a_report_lands_in_the_influx_database_the_compose_file_names(deployment: dict[str, Any]) -> None:
    url, env = deployment["url"], deployment["env"]
    s = requests.Session()
    login = s.post(url + "/api/login", json={"password": env["STATUSMON_ADMIN_PASSWORD"]}, timeout=10)
    assert login.status_code == 200, login.text
    s.headers["X-CSRF-Token"] = login.json()["csrf_token"]
    s.headers["Connection"] = "close"
    created = s.post(url + "/api/clients", json={"hostname": "compose-host"}, timeout=10).json()
    now = int(time.time())
    r = requests.post(
        url + "/api/report",
        json={"agent_version": "t", "samples": [{"ts": now - 5, "cpu_percent": 12.5, "ram_percent": 40.0}]},
        headers={"Authorization": f"Bearer {created['token']}", "Connection": "close"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    q = requests.get(
        deployment["influxd"].url + "/query",
        params={
            "db": env["STATUSMON_INFLUX_DB"],
            "q": f"SELECT cpu_percent FROM system WHERE client_id = '{created['client']['id']}'",
        },
        timeout=10,
    ).json()
    assert q["results"][0]["series"][0]["values"][0][1] == 12.5
    token = subprocess.run(
        image_command({"command": ["token", "create", "--read-only", "grafana"]}),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    secret = next(w for w in token.split() if w.startswith("smr_"))
    g = requests.post(
        url + "/api/grafana/query",
        json={"targets": [{"target": "fleet"}]},
        headers={"Authorization": f"Bearer {secret}", "Connection": "close"},
        timeout=10,
    )
    assert g.status_code == 200 and g.json()[0]["rows"][0][0] == "compose-host"


@pytest.mark.influx
@pytest.mark.integration
def test_the_alerting_command_with_the_compose_environment_runs_and_reports_healthy(
    deployment: dict[str, Any],
) -> None:
    service = deployment["model"]["services"]["alerting"]
    env = local_env(service, deployment["influxd"].url, deployment["data_dir"], 0)
    env["STATUSMON_ALERT_INTERVAL"] = "1"
    health = [sys.executable, str(HEALTHCHECK)] + [str(a) for a in service["healthcheck"]["test"][3:]]
    assert health[-1] == "alerting"
    proc = subprocess.Popen(
        image_command(service),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            if subprocess.run(health, env=env, capture_output=True, timeout=10).returncode == 0:
                break
            time.sleep(0.5)
        else:
            pytest.fail("the alerting worker never reported a finished cycle")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        rc = proc.wait(20)
    assert rc == 0


def test_postgres_is_in_the_scale_profile_and_the_url_reaches_api_and_alerting() -> None:
    env = read_env_file(ENV_EXAMPLE)
    services = compose_model(env)["services"]
    pg = services["postgres"]
    assert pg["profiles"] == ["scale"] and pg["image"].startswith("postgres:")
    assert pg["environment"]["POSTGRES_PASSWORD"] == env["POSTGRES_PASSWORD"]
    assert services["api"]["environment"]["STATUSMON_DATABASE_URL"] == ""  # default: SQLite
    url = f"postgresql://statusmon:{env['POSTGRES_PASSWORD']}@postgres:5432/statusmon"
    scaled = compose_model({**env, "STATUSMON_DATABASE_URL": url})["services"]
    assert scaled["api"]["environment"]["STATUSMON_DATABASE_URL"] == url
    assert scaled["alerting"]["environment"]["STATUSMON_DATABASE_URL"] == url
