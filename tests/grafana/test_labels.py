"""Host labels in the Grafana API: label keys and values as variables, hosts narrowed by a ``labels`` payload (a
variable's multi-value and "All" understood), label keys as ad hoc filters; a bad selector is a 400."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from api.app import create_app
from statusmon.config import Settings
from tests.grafana.fleet import bearer, iso, post, samples

LABELS = {"gpu-a": {"env": "prod", "role": "gpu"}, "gpu-b": {"env": "dev", "role": "gpu"},
          "web-a": {"env": "prod", "role": "web"}, "bare": {}}


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, str]]:
    app = create_app(Settings(data_dir=Path(tmp_path_factory.mktemp("grafana-labels")), admin_password="x" * 12),
                     start_background=False)
    state = app.extensions["statusmon"]
    http = app.test_client()
    for hostname, labels in LABELS.items():
        client, token = state.clients.add(hostname)
        body: dict[str, Any] = {"samples": samples("gpu-1" if "gpu" in hostname else "web-1", int(time.time()) - 10, 2)}
        if labels:
            body["labels"] = labels  # the agent's labels, from its report
        assert http.post("/api/report", json=body, headers=bearer(token)).status_code == 200
    _, api_token = state.api_tokens.create("grafana")
    yield app, api_token
    state.store.close()


def variable(env: tuple[Flask, str], payload: dict[str, Any]) -> list[str]:
    app, token = env
    return [v["value"] for v in post(app.test_client(), "/variable", token, {"payload": payload})]


def fleet_hosts(env: tuple[Flask, str], payload: dict[str, Any], **extra: Any) -> list[str]:
    app, token = env
    got = post(app.test_client(), "/query", token, {"targets": [{"target": "fleet", "payload": payload}], **extra})
    col = [c["text"] for c in got[0]["columns"]].index("host")
    return [r[col] for r in got[0]["rows"]]


def test_label_keys_and_values_are_variables(labelled: tuple[Flask, str]) -> None:
    assert variable(labelled, {"target": "label_keys"}) == ["env", "role"]
    assert variable(labelled, {"target": "label_values", "key": "env"}) == ["dev", "prod"]
    assert variable(labelled, {"target": "label_values", "key": "env", "labels": "role=web"}) == ["prod"]
    assert variable(labelled, {"target": "hosts", "labels": "role=gpu"}) == ["gpu-a", "gpu-b"]
    assert variable(labelled, {"target": "hosts", "labels": "env=prod,role=gpu"}) == ["gpu-a"]
    assert variable(labelled, {"target": "hosts", "labels": {"env": "dev"}}) == ["gpu-b"]


@pytest.mark.parametrize("labels, hosts", [
    ("role=gpu", ["gpu-a", "gpu-b"]),
    ("role=gpu, env=prod", ["gpu-a"]),
    ("role=gpu env=prod", ["gpu-a"]),
    ("env={prod,dev}", ["gpu-a", "gpu-b", "web-a"]),  # a multi-value variable, as Grafana interpolates it
    ("env=$__all,role=web", ["web-a"]),                 # "All" constrains nothing
    ("env=nowhere", []),
    ("", ["bare", "gpu-a", "gpu-b", "web-a"]),
])
def test_a_labels_payload_narrows_the_hosts_of_a_query(labelled: tuple[Flask, str], labels: str,
                                                        hosts: list[str]) -> None:
    assert fleet_hosts(labelled, {"labels": labels}) == hosts


def test_a_series_query_for_all_gpu_hosts_in_prod(labelled: tuple[Flask, str]) -> None:
    app, token = labelled
    now = time.time()
    body = {"range": {"from": iso(now - 600), "to": iso(now + 60)},
            "targets": [{"target": "gpu.temp_c", "payload": {"labels": "role=gpu,env=prod"}}]}
    got = post(app.test_client(), "/query", token, body)
    assert got and all(s["target"].startswith("gpu-a ") for s in got)


def test_label_keys_are_ad_hoc_filters(labelled: tuple[Flask, str]) -> None:
    app, token = labelled
    http = app.test_client()
    keys = [k["text"] for k in post(http, "/tag-keys", token, {})]
    assert keys == ["hostname", "online", "env", "role"]
    assert post(http, "/tag-values", token, {"key": "role"}) == [{"text": "gpu"}, {"text": "web"}]
    adhoc = lambda *f: {"adhocFilters": [{"key": k, "operator": o, "value": v} for k, o, v in f]}  # noqa: E731
    assert fleet_hosts(labelled, {}, **adhoc(("role", "=", "gpu"))) == ["gpu-a", "gpu-b"]
    assert fleet_hosts(labelled, {}, **adhoc(("env", "!=", "prod"))) == ["bare", "gpu-b"]
    assert fleet_hosts(labelled, {}, **adhoc(("env", "=~", "^p"), ("role", "=", "web"))) == ["web-a"]
    # A key no host carries is meant for another datasource: it filters nothing.
    assert len(fleet_hosts(labelled, {}, **adhoc(("job", "=", "x")))) == 4


@pytest.mark.parametrize("labels", ["role", "Role=gpu", "role=a b c=", "env={prod,b@d}", 5, ["role=gpu"]])
def test_a_bad_selector_is_a_400(labelled: tuple[Flask, str], labels: Any) -> None:
    app, token = labelled
    body = {"targets": [{"target": "fleet", "payload": {"labels": labels}}]}
    r = app.test_client().post("/api/grafana/query", json=body, headers=bearer(token))
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_request", r.get_json()
