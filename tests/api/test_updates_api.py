"""Agent updates, fleet side: the policy (admin), the agents' questions and results, notifications on failure,
and the signed repository served read-only at /updates/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from statusmon.meta.updates import bucket
from statusmon.notify.events import headline
from tests.api.conftest import Api, make_api


@pytest.fixture
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    repo = tmp_path / "repo"
    (repo / "metadata").mkdir(parents=True)
    (repo / "targets").mkdir()
    a = make_api(tmp_path, request, updates_dir=str(repo)).login()
    yield a
    a.state.store.close()


def ask(api: Api, token: str) -> Any:
    return api.http.get("/api/agent/update", headers={"Authorization": f"Bearer {token}"})


def tell(api: Api, token: str, body: Any) -> Any:
    return api.http.post("/api/agent/update/result", json=body, headers={"Authorization": f"Bearer {token}"})


def test_an_agent_gets_its_channels_version_and_a_hold_or_pin_overrides_it(api: Api) -> None:
    cid, token = api.add_client("web-1")
    assert ask(api, token).json == {"version": None, "channel": "stable"}
    r = api.admin("PUT", "/api/updates/policy", json={"channels": {"stable": {"version": "1.2.0",
                                                                               "rollout_percent": 100}}})
    assert r.status_code == 200, r.json
    assert ask(api, token).json["version"] == "1.2.0"
    api.admin("PUT", "/api/updates/policy", json={"hosts": {cid: {"hold": True}}})
    assert ask(api, token).json["version"] is None
    api.admin("PUT", "/api/updates/policy", json={"hosts": {cid: {"pin": "1.1.0"}}})
    assert ask(api, token).json["version"] == "1.1.0"
    api.admin("PUT", "/api/updates/policy", json={"channels": {"canary": {"version": "1.3.0"}},
                                                   "hosts": {cid: {"channel": "canary"}}})
    assert ask(api, token).json == {"version": "1.3.0", "channel": "canary"}
    assert api.http.get("/api/agent/update").status_code == 401


def test_a_rollout_percentage_takes_the_hosts_whose_hash_falls_under_it_and_raising_it_only_adds(
        api: Api) -> None:
    tokens = dict(api.add_client(f"h-{i}") for i in range(30))
    api.admin("PUT", "/api/updates/policy", json={"channels": {"stable": {"version": "2.0.0",
                                                                           "rollout_percent": 40}}})
    first = {cid for cid, t in tokens.items() if ask(api, t).json["version"] == "2.0.0"}
    assert first == {cid for cid in tokens if bucket(cid) < 40}
    assert 0 < len(first) < 30
    api.admin("PUT", "/api/updates/policy", json={"channels": {"stable": {"version": "2.0.0",
                                                                           "rollout_percent": 80}}})
    second = {cid for cid, t in tokens.items() if ask(api, t).json["version"] == "2.0.0"}
    assert first <= second and second == {cid for cid in tokens if bucket(cid) < 80}


@pytest.mark.parametrize("body", [
    {"channels": {"nightly": {"version": "1.0.0"}}},
    {"channels": {"stable": {"version": "latest"}}},
    {"channels": {"stable": {"version": "1.0.0", "rollout_percent": 101}}},
    {"hosts": {"no-such-client": {"hold": True}}},
    {"channels": {"stable": {"version": "1.0.0"}}, "hosts": {"no-such-client": {"hold": True}}},
    ["not", "an", "object"],
])
def test_a_bad_policy_is_a_422_and_nothing_changes(api: Api, body: Any) -> None:
    before = api.http.get("/api/updates/policy").json
    r = api.admin("PUT", "/api/updates/policy", json=body)
    assert r.status_code == 422 and r.json["error"]["code"] == "validation_failed", r.json
    assert api.http.get("/api/updates/policy").json == before


def test_a_failed_update_is_recorded_shown_on_the_client_and_queued_to_every_channel(api: Api) -> None:
    cid, token = api.add_client("gpu-7")
    api.admin("POST", "/api/settings", json={"webhook_url": "https://hooks.slack.com/services/T/B/x"})
    api.admin("PUT", "/api/updates/policy", json={"channels": {"stable": {"version": "1.4.0"}}})
    ask(api, token)
    r = tell(api, token, {"version": "1.4.0", "previous": "1.0.0", "result": "rolled_back",
                          "detail": "no health mark within 300 s; back on 1.0.0"})
    assert r.status_code == 200 and r.json["notifications"] == 1, r.json
    client = api.http.get(f"/api/clients/{cid}").json
    assert client["update"]["target"] == "1.4.0"
    assert client["update"]["last_attempt"]["result"] == "rolled_back"
    listed = {c["id"]: c for c in api.http.get("/api/clients").json["clients"]}
    assert listed[cid]["update"]["last_attempt"]["version"] == "1.4.0"
    rows = api.state.meta.query("SELECT channel, event FROM alert_outbox")
    assert [r["channel"] for r in rows] == ["webhook"]
    event = json.loads(rows[0]["event"])
    assert event["alert"] == "update" and event["client_id"] == cid
    assert headline(event) == ("gpu-7: the agent update to 1.4.0 was rolled back; still on 1.0.0 "
                               "(no health mark within 300 s; back on 1.0.0)")
    r = tell(api, token, {"version": "1.5.0", "previous": "1.0.0", "result": "installed", "detail": "healthy"})
    assert r.json["notifications"] == 0  # success is shown, not notified
    assert len(api.state.meta.query("SELECT id FROM alert_outbox")) == 1


@pytest.mark.parametrize("body", [
    {"version": "1.0", "result": "exploded"},
    {"version": "../../etc", "result": "installed"},
    {"version": "1.0.0", "result": "installed", "detail": "x" * 2000},
    "rolled_back",
])
def test_a_bad_result_is_a_422_and_nothing_is_stored(api: Api, body: Any) -> None:
    cid, token = api.add_client("web-2")
    r = tell(api, token, body)
    assert r.status_code == 422, r.json
    assert api.http.get(f"/api/clients/{cid}").json["update"]["last_attempt"] is None
    assert api.state.meta.query("SELECT id FROM alert_outbox") == []


def test_the_repository_is_served_read_only_at_updates(api: Api) -> None:
    repo = Path(api.state.settings.updates_dir)
    (repo / "metadata" / "timestamp.json").write_text('{"signed": {}}')
    r = api.http.get("/updates/metadata/timestamp.json")
    assert r.status_code == 200 and r.data == b'{"signed": {}}'
    assert "no-cache" in r.headers.get("Cache-Control", "") or "max-age=0" in r.headers.get("Cache-Control", "")
    (repo / "targets" / "abc.statusmon-agent.tar.gz").write_bytes(b"\x1f\x8bnot really")
    r = api.http.get("/updates/targets/abc.statusmon-agent.tar.gz")
    assert r.status_code == 200 and "Content-Encoding" not in r.headers  # the signed bytes, as they are
    assert api.http.get("/updates/metadata/../../meta.db").status_code == 404
    assert api.http.get("/updates/metadata/nope.json").status_code == 404
    assert api.http.put("/updates/metadata/timestamp.json", data=b"x").status_code == 405


def test_without_an_updates_dir_nothing_is_served(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    a = make_api(tmp_path, request)
    try:
        r = a.http.get("/updates/metadata/timestamp.json")
        assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
    finally:
        a.state.store.close()
