"""One channel's backlog never holds another's message: a fleet outage queues one grouped message on each
grouping channel but one PagerDuty event per incident (hundreds), and the outbox is drained round-robin across
channels (each channel still in its own order), so the grouped messages go out in the first delivery pass.

Real loopback receivers; PagerDuty's answers are slowed down so its backlog cannot all go out in one pass."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from alerting.delivery import Dispatcher
from statusmon.meta.alerts import AlertDB, CycleWrites
from statusmon.meta.db import MetaDB
from statusmon.notify import HttpClient
from statusmon.notify.events import group_event
from tests.alerting.receiver import Answer, Receiver, receiver
from tests.alerting.test_services import KEY
from tests.alerting.test_transports import FIRING

pytestmark = pytest.mark.integration

INCIDENTS = 600  # more than one page of the outbox (500 rows)


@pytest.fixture
def rxs() -> Iterator[tuple[Receiver, Receiver, Receiver]]:
    with receiver() as slack, receiver() as pagerduty, receiver() as hook:
        yield slack, pagerduty, hook


def test_a_pagerduty_backlog_does_not_hold_the_grouped_messages_of_other_channels(
        rxs: tuple[Receiver, Receiver, Receiver]) -> None:
    slack, pagerduty, hook = rxs
    events = [{**FIRING, "client_id": f"c{i:03d}", "hostname": f"host-{i:03d}"} for i in range(INCIDENTS)]
    grouped = group_event(events, 1_700_000_600.0)
    alerts = AlertDB(MetaDB(":memory:"))
    # The order the engine queues them in (statusmon.notify.grouping): channel by channel, registry order.
    alerts.save(CycleWrites(outbox=[("slack", grouped), *(("pagerduty", e) for e in events),
                                    ("webhook", grouped)]))
    pagerduty.default = Answer(202, '{"status": "success"}', delay=0.02)
    settings = {"slack_webhook_url": slack.url(), "webhook_url": hook.url("/hook"),
                "pagerduty_routing_key": KEY, "pagerduty_events_url": pagerduty.url("/v2/enqueue")}
    http = HttpClient(["127.0.0.1"])
    try:
        counts = Dispatcher(alerts, http).deliver(settings, budget_s=1.0)
    finally:
        http.close()
    assert len(slack.received) == 1 and len(hook.received) == 1  # both in this first pass
    assert hook.bodies()[0]["count"] == INCIDENTS
    # PagerDuty's events went out in their order, as many as the pass had time for; the rest wait.
    sent = [b["dedup_key"] for b in pagerduty.bodies()]
    assert 0 < len(sent) < INCIDENTS and counts["sent"] == len(sent) + 2
    assert sent == [f"statusmon/c{i:03d}/{FIRING['rule']}/" for i in range(len(sent))]
    assert len(alerts.pending(limit=1000)) == INCIDENTS - len(sent)
