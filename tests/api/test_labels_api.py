"""Host labels through the API: from the agent's reports, set by an admin (whose value wins), validated, filtered."""

from __future__ import annotations

from typing import Any

import pytest

from statusmon.labels import MAX_LABELS
from tests.api.conftest import Api, good_sample


def labels_of(api: Api, client_id: str) -> dict[str, Any]:
    c = api.http.get(f"/api/clients/{client_id}").json
    return {"labels": c["labels"], "label_sources": c["label_sources"]}


def test_the_agents_labels_arrive_with_its_report_and_a_later_report_replaces_them(sqlite_api: Api) -> None:
    api = sqlite_api
    client_id, token = api.login().add_client()
    assert labels_of(api, client_id) == {"labels": {}, "label_sources": {}}
    assert api.report(token, {"labels": {"env": "prod", "role": "gpu"}, "samples": [good_sample()]}).status_code == 200
    assert labels_of(api, client_id) == {"labels": {"env": "prod", "role": "gpu"},
                                         "label_sources": {"env": "agent", "role": "agent"}}
    # A report without labels (an older agent) keeps them; one with labels replaces the agent's whole set.
    api.report(token, {"samples": [good_sample()]})
    assert labels_of(api, client_id)["labels"] == {"env": "prod", "role": "gpu"}
    api.report(token, {"labels": {"env": "staging"}, "samples": [good_sample()]})
    assert labels_of(api, client_id)["labels"] == {"env": "staging"}
    api.report(token, {"labels": {}, "samples": [good_sample()]})
    assert labels_of(api, client_id)["labels"] == {}


def test_an_admins_value_wins_over_the_agents_and_null_gives_the_agents_back(sqlite_api: Api) -> None:
    api = sqlite_api
    client_id, token = api.login().add_client()
    api.report(token, {"labels": {"env": "prod", "role": "gpu"}, "samples": [good_sample()]})
    r = api.admin("PATCH", f"/api/clients/{client_id}", json={"labels": {"env": "staging", "rack": "b12"}})
    assert r.status_code == 200, r.json
    assert r.json["labels"] == {"env": "staging", "role": "gpu", "rack": "b12"}
    assert r.json["label_sources"] == {"env": "admin", "role": "agent", "rack": "admin"}
    # The agent keeps reporting env=prod: the admin's staging stays.
    api.report(token, {"labels": {"env": "prod", "role": "cpu"}, "samples": [good_sample()]})
    assert labels_of(api, client_id)["labels"] == {"env": "staging", "role": "cpu", "rack": "b12"}
    # Keys not named are kept; null removes the admin's value and the agent's shows again.
    r = api.admin("PATCH", f"/api/clients/{client_id}", json={"labels": {"env": None}})
    assert r.json["labels"] == {"env": "prod", "role": "cpu", "rack": "b12"}
    assert r.json["label_sources"]["env"] == "agent"
    assert api.admin("PATCH", f"/api/clients/{client_id}", json={"labels": {"rack": None}}).json["labels"] == {
        "env": "prod", "role": "cpu"}


@pytest.mark.parametrize("body", [
    {"labels": {"Env": "prod"}},             # upper-case key
    {"labels": {"env": "a b"}},              # space in a value
    {"labels": {"env": ""}},                 # empty value
    {"labels": {"k" * 64: "v"}},             # key too long
    {"labels": {"env": "v" * 64}},           # value too long
    {"labels": {"env": 5}},                  # not a string
    {"labels": {"1env": "prod"}},            # key must start with a letter
    {"labels": ["env=prod"]},                # not an object
    {"labels": {"env": "prod"}, "hostname": "x"},  # nothing else can be patched
    {},
    [],
])
def test_invalid_labels_are_refused_with_422_and_nothing_is_written(sqlite_api: Api, body: Any) -> None:
    api = sqlite_api
    client_id, _ = api.login().add_client()
    api.admin("PATCH", f"/api/clients/{client_id}", json={"labels": {"keep": "me"}})
    r = api.admin("PATCH", f"/api/clients/{client_id}", json=body)
    assert r.status_code == 422, r.json
    assert r.json["error"]["code"] == "validation_failed" and r.json["error"]["message"]
    assert labels_of(api, client_id)["labels"] == {"keep": "me"}


def test_a_host_holds_at_most_the_cap_of_labels_counting_the_agents(sqlite_api: Api) -> None:
    api = sqlite_api
    client_id, token = api.login().add_client()
    api.report(token, {"labels": {"from-agent": "x"}, "samples": [good_sample()]})
    full = {f"k{i}": "v" for i in range(MAX_LABELS - 1)}
    assert api.admin("PATCH", f"/api/clients/{client_id}", json={"labels": full}).status_code == 200
    r = api.admin("PATCH", f"/api/clients/{client_id}", json={"labels": {"one-more": "v"}})
    assert r.status_code == 422 and f"at most {MAX_LABELS}" in r.json["error"]["message"]
    assert len(labels_of(api, client_id)["labels"]) == MAX_LABELS
    # Overriding a key the agent already gives adds none.
    assert api.admin("PATCH", f"/api/clients/{client_id}", json={"labels": {"from-agent": "y"}}).status_code == 200


def test_an_agents_invalid_labels_refuse_the_report_and_store_nothing(sqlite_api: Api) -> None:
    api = sqlite_api
    client_id, token = api.login().add_client()
    r = api.report(token, {"labels": {"env": "has space"}, "samples": [good_sample()]})
    assert r.status_code == 422 and "labels" in r.json["error"]["details"]
    too_many = {f"k{i}": "v" for i in range(MAX_LABELS + 1)}
    assert api.report(token, {"labels": too_many, "samples": [good_sample()]}).status_code == 422
    assert api.stored_count(client_id) == 0 and labels_of(api, client_id)["labels"] == {}


def test_patching_needs_an_admin_and_a_known_host(sqlite_api: Api) -> None:
    api = sqlite_api
    client_id, _ = api.login().add_client()
    assert api.admin("PATCH", "/api/clients/nope", json={"labels": {"env": "prod"}}).status_code == 404
    assert api.http.patch(f"/api/clients/{client_id}", json={"labels": {"env": "prod"}}).status_code == 403
    api.http.post("/api/logout", headers={"X-CSRF-Token": api.csrf})
    r = api.http.patch(f"/api/clients/{client_id}", json={"labels": {"env": "prod"}})
    assert r.status_code in (401, 403)
    assert labels_of(api.login(), client_id)["labels"] == {}


def test_the_list_filters_by_every_label_given(sqlite_api: Api) -> None:
    api = sqlite_api.login()
    hosts = {"a": {"env": "prod", "role": "gpu"}, "b": {"env": "prod", "role": "web"},
             "c": {"env": "dev", "role": "gpu"}, "d": {}}
    for name, lb in hosts.items():
        cid, _ = api.add_client(name)
        if lb:
            api.admin("PATCH", f"/api/clients/{cid}", json={"labels": lb})

    def names(query: str) -> list[str]:
        r = api.http.get("/api/clients" + query)
        assert r.status_code == 200, r.json
        return [c["hostname"] for c in r.json["clients"]]

    assert names("") == ["a", "b", "c", "d"]
    assert names("?label=env=prod") == ["a", "b"]
    assert names("?label=env=prod&label=role=gpu") == ["a"]
    assert names("?label=role=gpu") == ["a", "c"]
    assert names("?label=env=nowhere") == []
    for bad in ("?label=env", "?label=Env=prod", "?label==prod", "?label=env=a%20b", "?label=env=a&label=env=b"):
        r = api.http.get("/api/clients" + bad)
        assert r.status_code == 400 and r.json["error"]["code"] == "bad_request", bad


def test_the_list_says_exactly_what_each_client_says_alone(sqlite_api: Api) -> None:
    """The list splices each stored latest sample in as JSON text: the same document as GET /api/clients/<id>."""
    api = sqlite_api.login()
    ids = []
    for i, name in enumerate(["b-host", "a-host", "never"]):
        cid, token = api.add_client(name)
        ids.append(cid)
        if name != "never":
            api.report(token, {"labels": {"env": f"e{i}"}, "dropped": i, "samples": [good_sample()]})
    listed = api.http.get("/api/clients").json
    assert [c["hostname"] for c in listed["clients"]] == ["a-host", "b-host", "never"]
    for c in listed["clients"]:
        assert c == api.http.get(f"/api/clients/{c['id']}").json
    assert listed["clients"][2]["latest"] is None and isinstance(listed["now"], int)
