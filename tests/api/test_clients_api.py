"""Client management through the API: token shown once, duplicates, removal with data, rotation."""

from __future__ import annotations

from tests.api.conftest import Api, good_sample


def test_token_is_shown_once_and_never_listed(api: Api) -> None:
    api.login()
    r = api.admin("POST", "/api/clients", json={"hostname": "gpu-box-01"})
    assert r.status_code == 201
    token = r.json["token"]
    assert token in r.json["install_command"]
    listed = api.http.get("/api/clients").get_data(as_text=True)
    assert token not in listed and token.split(".")[1] not in listed
    assert api.http.get("/api/clients").json["clients"][0]["hostname"] == "gpu-box-01"


def test_duplicate_and_invalid_hostnames(api: Api) -> None:
    api.login().add_client("web-1")
    assert api.admin("POST", "/api/clients", json={"hostname": "web-1"}).status_code == 409
    for bad in ["", "-x", "a b", "x\ny", "a" * 254, None, 5]:
        r = api.admin("POST", "/api/clients", json={"hostname": bad})
        assert r.status_code == 422, bad
    assert len(api.http.get("/api/clients").json["clients"]) == 1


def test_report_updates_last_seen_latest_and_online(api: Api) -> None:
    client_id, token = api.login().add_client()
    c = api.http.get(f"/api/clients/{client_id}").json
    assert c["online"] is False and c["last_seen"] is None
    s = good_sample()
    r = api.report(token, {"agent_version": "9.9", "dropped": 4, "samples": [s]})
    assert r.json == {"stored": 1, "report_interval": 10}
    c = api.http.get(f"/api/clients/{client_id}").json
    assert c["online"] is True and c["last_seen"] == s["ts"] and c["agent_version"] == "9.9"
    assert c["latest"]["cpu_percent"] == 12.5 and c["latest"]["disks"][0]["used_percent"] == 70.0
    assert c["latest"]["gpus"][0]["mem_percent"] == 12.5
    assert c["dropped_total"] == 4
    # An older batch replayed later never moves last_seen back.
    api.report(token, {"samples": [good_sample(s["ts"] - 100, cpu_percent=1.0)]})
    c = api.http.get(f"/api/clients/{client_id}").json
    assert c["last_seen"] == s["ts"] and c["latest"]["cpu_percent"] == 12.5


def test_removing_a_client_removes_its_data_and_token(api: Api) -> None:
    client_id, token = api.login().add_client()
    api.report(token, {"samples": [good_sample()]})
    assert api.stored_count(client_id) == 1
    assert api.admin("DELETE", f"/api/clients/{client_id}").status_code == 200
    assert api.stored_count(client_id) == 0
    assert api.http.get(f"/api/clients/{client_id}").status_code == 404
    assert api.report(token, {"samples": [good_sample()]}).status_code == 401
    assert api.admin("DELETE", f"/api/clients/{client_id}").status_code == 404


def test_rotating_a_token_retires_the_old_one(api: Api) -> None:
    client_id, old = api.login().add_client()
    r = api.admin("POST", f"/api/clients/{client_id}/token")
    new = r.json["token"]
    assert r.status_code == 200 and new != old
    assert api.report(old, {"samples": [good_sample()]}).status_code == 401
    assert api.report(new, {"samples": [good_sample()]}).status_code == 200
