"""The dashboard's metric list is the catalogue's: generated, committed, and checked equal here.

dashboards/web/src/catalogue.gen.ts is written by dashboards/web/gen_catalogue.py from statusmon/metrics.py and
api/views/timerange.py and committed (the Node build needs no Python); any difference from what the generator
writes now fails with the command that regenerates it.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

from statusmon.metrics import ALERT_METRIC_TYPES, ALERT_METRICS, ALL_METRICS, SYSTEM_METRICS
from statusmon.notify import events

WEB = Path(__file__).resolve().parents[2] / "dashboards" / "web"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_catalogue", WEB / "gen_catalogue.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_dashboard_catalogue_is_what_the_generator_writes() -> None:
    gen = generator()
    assert gen.OUT.read_text() == gen.render(), (
        f"{gen.OUT.relative_to(WEB.parents[1])} is stale: run `{gen.COMMAND}` and commit it"
    )


def test_the_dashboard_lists_every_system_metric_with_its_unit() -> None:
    text = (WEB / "src" / "catalogue.gen.ts").read_text()
    listed = re.findall(r'\{ name: "(\w+)", label: "[^"]+", unit: "(\w+)" \}', text)
    assert sorted(listed) == sorted((m.name, m.unit) for m in SYSTEM_METRICS)


def test_every_shown_metric_has_its_labels_and_every_alert_type_its_wording() -> None:
    assert all(m.label and m.title for m in SYSTEM_METRICS)
    assert list(ALERT_METRICS) == list(ALERT_METRIC_TYPES)
    for metric_type, m in ALERT_METRICS.items():
        assert m.alerting and m.alerting.label and m.alerting.headline, metric_type
        # {key} names the mount or GPU that crossed: only per-mount and per-GPU types have one.
        assert ("{key}" in m.alerting.headline) == (m.family != "system"), metric_type
    assert len({m.alert_type for m in ALL_METRICS if m.alert_type}) == len(ALERT_METRICS)


def test_notifications_word_alerts_with_the_catalogue_headlines() -> None:
    assert set(events.LABELS) == set(ALERT_METRIC_TYPES)
    event = {"metric_type": "gpu_temp_c", "mount": None, "gpu": 1}
    assert events.label(event) == "GPU 1 temperature"
