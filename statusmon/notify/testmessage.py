"""The settings page's "send test message": one message through a channel now, outside the outbox.

The API calls it while a person waits; success re-enables a disabled channel, a permanent failure disables it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from statusmon.meta.alerts import AlertDB
from statusmon.notify import HttpClient, TransportError, build, fingerprint
from statusmon.notify.events import test_event


def send_test(channel: str, config: Mapping[str, Any], http: HttpClient, alerts: AlertDB, public_url: str,
              clock: Callable[[], float] = time.time) -> None:
    """Post a test message now (the settings page's button). Success re-enables a disabled channel; a
    permanent failure disables it. Raises TransportError."""
    now = clock()
    try:
        build(channel, config, http).notify(test_event(public_url, now))
    except TransportError as e:
        if e.permanent:
            alerts.disable(channel, fingerprint(config), e.message, clock())
        else:
            alerts.record_error(channel, e.message, clock())
        raise
    alerts.enable(channel)
    with alerts.db.tx() as conn:
        AlertDB._touch_channel(conn, channel)
        conn.execute("UPDATE alert_channels SET last_sent_at = ?, last_error = NULL WHERE name = ?",
                     (clock(), channel))
