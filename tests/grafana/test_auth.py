"""Grafana's read-only token opens the read routes and nothing else."""

from __future__ import annotations

import pytest

from tests.grafana.conftest import GrafanaEnv
from tests.grafana.fleet import bearer

GRAFANA_POSTS = [
    ("/api/grafana/metrics", {}),
    ("/api/grafana/metric-payload-options", {"metric": "cpu_percent", "payload": {}, "name": "client"}),
    ("/api/grafana/query", {"targets": [{"target": "fleet"}]}),
    ("/api/grafana/variable", {"payload": {"target": "hosts"}}),
    ("/api/grafana/tag-keys", {}),
    ("/api/grafana/tag-values", {"key": "hostname"}),
]


def test_a_read_only_token_passes_every_grafana_route_and_the_read_routes(sqlite_env: GrafanaEnv) -> None:
    http, auth = sqlite_env.app.test_client(), bearer(sqlite_env.token)
    assert http.get("/api/grafana/", headers=auth).status_code == 200
    for path, body in GRAFANA_POSTS:
        assert http.post(path, json=body, headers=auth).status_code == 200, path
    cid = sqlite_env.fleet.ids["web-1"]
    for path in ("/api/clients", f"/api/clients/{cid}", f"/api/stats/{cid}", f"/api/metrics/{cid}"):
        assert http.get(path, headers=auth).status_code == 200, path


@pytest.mark.parametrize(
    "method, path",
    [
        ("POST", "/api/clients"),
        ("GET", "/api/settings"),
        ("POST", "/api/settings"),
        ("DELETE", "/api/clients/{cid}"),
        ("POST", "/api/clients/{cid}/token"),
    ],
)
def test_a_read_only_token_gets_403_on_admin_routes(sqlite_env: GrafanaEnv, method: str, path: str) -> None:
    http = sqlite_env.app.test_client()
    before = len(sqlite_env.app.extensions["statusmon"].clients.list())
    resp = http.open(
        path.format(cid=sqlite_env.fleet.ids["web-1"]),
        method=method,
        json={"hostname": "evil"},
        headers=bearer(sqlite_env.token),
    )
    assert resp.status_code == 403  # the token is known, the route is not one it may use
    assert resp.get_json()["error"]["code"] == "forbidden"
    assert len(sqlite_env.app.extensions["statusmon"].clients.list()) == before


def test_no_token_an_agent_token_or_a_revoked_token_gets_401_on_grafana(sqlite_env: GrafanaEnv) -> None:
    state = sqlite_env.app.extensions["statusmon"]
    http = sqlite_env.app.test_client()
    _, agent_token = state.clients.add("agent-only")
    _, revoked = state.api_tokens.create("to-revoke")
    assert state.api_tokens.revoke("to-revoke")
    for headers in (
        {},
        bearer(agent_token),
        bearer(revoked),
        bearer("smr_nope.nope"),
        {"Authorization": "Basic x"},
    ):
        assert http.get("/api/grafana/", headers=headers).status_code == 401
        resp = http.post("/api/grafana/query", json={"targets": [{"target": "fleet"}]}, headers=headers)
        assert resp.status_code == 401, headers
        assert resp.get_json()["error"]["code"] == "unauthorized"
    state.clients.remove(next(c.id for c in state.clients.list() if c.hostname == "agent-only"))


def test_an_admin_session_reads_grafana_routes_but_needs_the_csrf_header_on_post(
    sqlite_env: GrafanaEnv,
) -> None:
    http = sqlite_env.app.test_client()
    login = http.post("/api/login", json={"password": "correct-horse-battery"})
    assert login.status_code == 200
    csrf = login.get_json()["csrf_token"]
    assert http.get("/api/grafana/").status_code == 200
    assert http.post("/api/grafana/tag-keys", json={}).status_code == 403
    assert http.post("/api/grafana/tag-keys", json={}, headers={"X-CSRF-Token": csrf}).status_code == 200
