"""Alert rules that target hosts by label (``{"role": "gpu"}``): which rules apply (RuleSet), the worker firing
for the matching hosts only and following a re-label, and the API validating selectors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alerting.engine import Evaluator
from statusmon.alerts.rules import Rule, RuleSet
from statusmon.meta.clients import ClientRegistry
from statusmon.meta.db import MetaDB
from statusmon.meta.settings import GlobalSettings
from tests.alerting.test_engine import NOW, add_rule, outbox, sample
from tests.api.conftest import Api, make_api
from tests.store.conftest import make_store


def rule(key: str, threshold: float, client_id: str | None = None, selector: dict[str, str] | None = None,
         gpu: int | None = None, enabled: bool = True) -> Rule:
    return Rule(key=key, metric_type="gpu_temp_c", threshold=threshold, duration_sec=0, client_id=client_id,
                gpu=gpu, enabled=enabled, selector=tuple(sorted(selector.items())) if selector else None)


LABELS = {"g1": {"role": "gpu", "env": "prod"}, "g2": {"role": "gpu", "env": "dev"}, "w1": {"role": "web"}}


def applying(rs: RuleSet, client: str, series: str = "0") -> list[str]:
    return [r.key for r in rs.for_series("gpu_temp_c", client, series)]


def test_a_selector_rule_applies_to_every_host_carrying_its_labels_and_no_other() -> None:
    rs = RuleSet([rule("sel", 85, selector={"role": "gpu"}),
                  rule("prod-gpu", 80, selector={"role": "gpu", "env": "prod"})], [], LABELS)
    assert applying(rs, "g1") == ["sel", "prod-gpu"]
    assert applying(rs, "g2") == ["sel"]
    assert applying(rs, "w1") == [] and applying(rs, "unlabelled") == []
    assert rs.metric_types() == {"gpu_temp_c"} and rs.has_selectors


def test_precedence_client_then_selector_then_all_then_default() -> None:
    default = Rule(key="default:gpu_temp_c", metric_type="gpu_temp_c", threshold=95, duration_sec=0)
    stored = [rule("all", 90), rule("sel", 85, selector={"role": "gpu"}), rule("own", 70, client_id="g1"),
              rule("sel-gpu1", 75, selector={"role": "gpu"}, gpu=1)]
    rs = RuleSet(stored, [default], LABELS)
    assert applying(rs, "g1") == ["own"]            # the client's own rule wins over its selector's
    assert applying(rs, "g2") == ["sel"]            # a selector wins over the rule for all
    assert applying(rs, "g2", "1") == ["sel-gpu1"]  # ... and narrowed to a GPU, over the selector's any-GPU
    assert applying(rs, "w1") == ["all"]
    assert applying(RuleSet([], [default], LABELS), "w1") == ["default:gpu_temp_c"]
    # A disabled selector rule silences the hosts it matches (as a disabled client rule does).
    rs = RuleSet([rule("all", 90), rule("off", 85, selector={"role": "gpu"}, enabled=False)], [], LABELS)
    assert applying(rs, "g1") == [] and applying(rs, "w1") == ["all"]


def test_the_worker_fires_for_matching_hosts_only_and_follows_a_relabel(tmp_path: Path,
                                                                        request: pytest.FixtureRequest) -> None:
    store = make_store("sqlite", tmp_path, request)
    meta = MetaDB(tmp_path / "meta.db")
    GlobalSettings(meta).update({"thresholds": {}, "online_timeout_seconds": 3600, "alert_repeat_hours": 0})
    reg = ClientRegistry(meta)
    gpu_box, _ = reg.add("gpu-box")
    web, _ = reg.add("web-1")
    reg.labels.patch_admin(gpu_box.id, {"role": "gpu"})
    reg.labels.patch_admin(web.id, {"role": "web"})
    for c in (gpu_box, web):  # both run hot GPUs
        store.write(c.id, c.hostname, [sample(NOW - 60 + 10 * k, gpus={0: 90.0}) for k in range(7)])
    add_rule(meta, "gpu_temp_c", 85, 0, selector=json.dumps({"role": "gpu"}))
    ev = Evaluator(meta, store, "https://mon.example", channels=lambda gs: ["slack"])
    ev.run_cycle(NOW + 1)
    assert outbox(meta) == [("firing", "gpu_temp_c", 0, "gpu-box")]
    # web-1 becomes a GPU host: the next cycle's rules reach it.
    reg.labels.patch_admin(web.id, {"role": "gpu"})
    store.write(web.id, web.hostname, [sample(NOW + 5, gpus={0: 90.0})])
    ev.run_cycle(NOW + 6)
    assert ("firing", "gpu_temp_c", 0, "web-1") in outbox(meta)
    store.close()


def test_the_api_stores_a_selector_and_refuses_bad_ones(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    api: Api = make_api(tmp_path, request).login()
    body = {"metric_type": "gpu_temp_c", "threshold": 85, "duration_sec": 60, "selector": {"role": "gpu"}}
    r = api.admin("POST", "/api/alert-rules", json=body)
    assert r.status_code == 201, r.json
    assert r.json["selector"] == {"role": "gpu"} and r.json["client_id"] is None
    rule_id = r.json["id"]
    assert api.http.get(f"/api/alert-rules/{rule_id}").json["selector"] == {"role": "gpu"}
    r = api.admin("PATCH", f"/api/alert-rules/{rule_id}", json={"selector": {"role": "gpu", "env": "prod"}})
    assert r.status_code == 200 and r.json["selector"] == {"env": "prod", "role": "gpu"}
    client_id, _ = api.add_client()
    for bad in ({"Role": "gpu"}, {"role": "a b"}, {}, {"role": 5}, ["role=gpu"], "role=gpu"):
        r = api.admin("POST", "/api/alert-rules", json={**body, "selector": bad})
        assert r.status_code == 422 and "selector" in r.json["error"]["details"], bad
    r = api.admin("POST", "/api/alert-rules", json={**body, "client_id": client_id})
    assert r.status_code == 422 and "one client or a label selector" in str(r.json["error"]["details"])
    assert len(api.http.get("/api/alert-rules").json["rules"]) == 1
    r = api.admin("PATCH", f"/api/alert-rules/{rule_id}", json={"selector": None})
    assert r.status_code == 200 and r.json["selector"] is None
    api.state.store.close()
