"""The outbox's retry schedule over a whole day, driven by the Dispatcher's clock against a real receiver that
keeps answering 500: 30 s, doubling to 15 min, then every 15 min, and given up once 24 h have passed.

The schedule is pinned from the outside: one second before each expected retry nothing is posted, at the
second itself exactly one post arrives. Expected times are written out by hand from the README's promise.
"""

from __future__ import annotations

import pytest

from alerting.delivery import Dispatcher
from statusmon.meta.alerts import AlertDB, CycleWrites
from statusmon.meta.db import MetaDB
from statusmon.notify import HttpClient
from statusmon.notify.http import HttpPolicy
from tests.alerting.receiver import Answer, Receiver
from tests.alerting.test_transports import FIRING

pytestmark = pytest.mark.integration

# Gaps between tries: 30, 60, 120, 240, 480, then capped at 900 (960 would exceed 15 min).
FIRST_GAPS = [30, 60, 120, 240, 480, 900]
# Tries at t = 0, 30, 90, 210, 450, 930, 1830, then 1830 + 900 j. The first try later than 24 h (86,400 s)
# is j = 94 (t = 86,430): it fails and the message is dropped. 7 + 94 = 101 tries in all.
LAST_TRY_AT = 86_430
TRIES = 101


def test_retries_double_from_30_s_to_15_min_and_give_up_after_24_h(rx: Receiver) -> None:
    alerts = AlertDB(MetaDB(":memory:"))
    alerts.save(CycleWrites(outbox=[("webhook", FIRING)]))
    created = alerts.pending()[0].created_at
    now = [created]
    rx.default = Answer(500, "down")
    http = HttpClient(["127.0.0.1"], HttpPolicy(connect_timeout=1, read_timeout=1, attempts=1))
    dispatcher = Dispatcher(alerts, http, clock=lambda: now[0])
    settings = {"webhook_url": rx.url("/hook")}

    assert dispatcher.deliver(settings) == {"sent": 0, "retry": 1, "dropped": 0}
    t, tries, gaps = 0, 1, list(FIRST_GAPS)
    while alerts.pending():
        gap = gaps.pop(0) if gaps else 900
        now[0] = created + t + gap - 1
        assert dispatcher.deliver(settings) == {"sent": 0, "retry": 0, "dropped": 0}, (t, gap)
        assert len(rx.received) == tries, f"posted before its time: {t + gap - 1} s"
        t += gap
        now[0] = created + t
        counts = dispatcher.deliver(settings)
        tries += 1
        assert len(rx.received) == tries, f"no try at {t} s"
        assert counts == ({"sent": 0, "retry": 0, "dropped": 1} if t > 86_400 else
                          {"sent": 0, "retry": 1, "dropped": 0}), t
    assert (t, tries) == (LAST_TRY_AT, TRIES)
    now[0] += 7 * 86_400  # and nothing is ever posted again
    assert dispatcher.deliver(settings) == {"sent": 0, "retry": 0, "dropped": 0}
    assert len(rx.received) == TRIES
