"""Schemathesis against the contract (shared/specs/grafana-json-datasource.openapi.yaml): every
operation, with generated valid and invalid bodies, against the real ``statusmon server`` holding the test
fleet, authenticated with a read-only token made by ``statusmon token create``.

The spec file is used as it is, with three additions made here in memory and nowhere else:
- the server URL: the operations live under ``/api/grafana``;
- a ``default`` response on every operation: our one JSON error shape (the contract documents successes
  only, but a wrong body must get a 4xx, which schemathesis checks too);
- the table ``rows`` fixed to what the contract's own example and Grafana mean: an array of rows, each an
  array of cells (string, number, or null for a missing value). As written, ``rows.items`` is
  ``anyOf: [string, number]``, which no table Grafana can read satisfies.
"""
from __future__ import annotations

import copy
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
import schemathesis.specs.openapi.object_authorization  # noqa: F401 - see below
import yaml

from tests.grafana.fleet import HOSTS, samples
from tests.support.require import require
from tests.support.server import ServerProcess, start_server

# schemathesis imports the module above lazily, inside a check run deep in hypothesis's stack; pytest's assertion
# rewriter then parses it there, and CPython 3.11's parser failed once in CI with "AST constructor recursion
# depth mismatch". Imported here, at the top of the stack, it is parsed once and never again.

SPEC = Path(__file__).resolve().parents[3] / "shared" / "specs" / "grafana-json-datasource.openapi.yaml"
EXAMPLES = int(os.environ.get("STATUSMON_SCHEMATHESIS_EXAMPLES", "30"))

ERROR = {
    "description": "An error in the API's one JSON shape",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                            "details": {},
                        },
                    }
                },
            }
        }
    },
}


def contract() -> dict[str, Any]:
    require(SPEC.exists(), f"the contract {SPEC} (../shared/specs beside the checkout)")
    spec = yaml.safe_load(SPEC.read_text())
    spec = copy.deepcopy(spec)
    for path in spec["paths"].values():
        for op in path.values():
            op["responses"].setdefault("default", ERROR)
    table = spec["paths"]["/query"]["post"]["responses"]["200"]["content"]["application/json"]["schema"][
        "items"
    ]["anyOf"][1]
    table["properties"]["rows"]["items"] = {
        "type": "array",
        "items": {"nullable": True, "anyOf": [{"type": "string"}, {"type": "number"}]},
    }
    return spec


schema = schemathesis.openapi.from_dict(contract())
schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])


def auth(token: str) -> dict[str, str]:
    # Connection: close, so that no idle keep-alive connection holds the server's graceful stop for 10 s.
    return {"Authorization": f"Bearer {token}", "Connection": "close"}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("influxdb", marks=pytest.mark.influx)])
def server(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, str]]:
    """A real server on each backend (the InfluxDB one on the session's real influxd, its own database)."""
    influx = {}
    if request.param == "influxdb":
        influx = {"influx_url": request.getfixturevalue("influxd").url, "influx_db": "contract"}
    with start_server(tmp_path_factory.mktemp("contract"), **influx) as srv:
        import time

        start = int(time.time()) // 60 * 60 - 45 * 60
        with srv.admin() as admin:
            tokens = {
                h: admin.post(srv.url + "/api/clients", json={"hostname": h}, timeout=10).json()["token"]
                for h in HOSTS
            }
        for hostname, token in tokens.items():
            every = samples(hostname, start)
            for i in range(0, len(every), 600):  # batches under the 1 MiB body cap, as agents send
                r = requests.post(
                    srv.url + "/api/report",
                    json={"agent_version": "t", "samples": every[i:i + 600]},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=30,
                )
                assert r.status_code == 200, r.text
        out = subprocess.run(
            [sys.executable, "-m", "statusmon.cli", "token", "create", "--read-only", "grafana"],
            env={**os.environ, "STATUSMON_DATA_DIR": str(srv.data_dir)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        token = re.search(r"(smr_\S+)", out)
        assert token, out
        yield srv, token.group(1)
        # Schemathesis' checks leave keep-alive connections open, which would hold a graceful stop for 10 s.
        srv.stop(signal.SIGINT)


@schema.parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases every run: a failure here is a regression, not bad luck
    database=None,  # and no .hypothesis/ directory left in the checkout
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_every_operation_conforms_to_the_contract(case: Any, server: tuple[ServerProcess, str]) -> None:
    srv, token = server
    case.call_and_validate(base_url=srv.url + "/api/grafana", headers=auth(token))


REAL_QUERIES = [
    {
        "targets": [
            {"target": t, "refId": "A", "payload": {"aggregation": a}}
            for t in ("cpu_percent", "disk.used_percent", "gpu.temp_c")
            for a in ("mean", "p95")
        ],
        "intervalMs": 30000,
        "maxDataPoints": 200,
        "range": {"from": "{from}", "to": "{to}"},
    },
    {
        "targets": [{"target": "stats"}, {"target": "fleet"}, {"target": "alerts"}],
        "range": {"from": "{from}", "to": "{to}"},
        "adhocFilters": [{"key": "hostname", "operator": "=~", "value": "."}],
    },
]


@pytest.mark.parametrize("body", REAL_QUERIES, ids=["series", "tables"])
def test_real_answers_conform_to_the_contract(
    body: dict[str, Any], server: tuple[ServerProcess, str]
) -> None:
    """What dashboards ask for (not only what the generator invents) is checked against the schema."""
    import json
    import time

    from tests.grafana.fleet import iso

    srv, token = server
    text = json.dumps(body).replace("{from}", iso(time.time() - 3600)).replace("{to}", iso(time.time()))
    case = schema["/query"]["POST"].Case(body=json.loads(text), media_type="application/json")
    resp = case.call_and_validate(base_url=srv.url + "/api/grafana", headers=auth(token))
    answers = resp.json()
    assert len(answers) >= 3 and all(a.get("datapoints") or a.get("type") == "table" for a in answers)
