"""Draining the outbox: each due notification goes through its channel's transport, in order per channel.

- Delivered: marked sent.
- ``TransportError(permanent=True)``: the channel is disabled with the reason (shown on the settings page)
  and what is queued for it is dropped.
- Otherwise: retried later with exponential backoff (30 s doubling, at most 15 min apart), dropped after
  ``MAX_AGE`` seconds; later messages of that channel wait, so a resolved message never overtakes its firing.
- A channel whose settings were removed, or is disabled: its queued messages are dropped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from statusmon.meta.alerts import AlertDB
from statusmon.notify import HttpClient, TransportError, build, configured, fingerprint

log = logging.getLogger(__name__)

MAX_AGE = 24 * 3600.0
BACKOFF_FIRST, BACKOFF_MAX = 30.0, 900.0


class Dispatcher:
    def __init__(self, alerts: AlertDB, http: HttpClient, clock: Callable[[], float] = time.time):
        self.alerts = alerts
        self.http = http
        self.clock = clock

    def active_channels(self, global_settings: Mapping[str, Any]) -> list[str]:
        """Channels that are configured and not disabled: where new notifications are queued."""
        return self.alerts.active_channels(global_settings)

    def deliver(self, global_settings: Mapping[str, Any], budget_s: float = 30.0) -> dict[str, int]:
        """Send what is due, for at most about ``budget_s`` seconds; returns counts by outcome."""
        start = self.clock()
        configs = configured(global_settings)
        counts = {"sent": 0, "retry": 0, "dropped": 0}
        blocked: set[str] = set()
        for row in self.alerts.pending():
            outbox_id, channel, event, attempts, created_at = (row.id, row.channel, row.event, row.attempts,
                                                               row.created_at)
            now = self.clock()
            if now - start > budget_s:
                break
            if channel in blocked:
                continue
            if row.next_attempt_at > now:
                blocked.add(channel)  # waiting for a retry: later messages of the channel wait behind it
                continue
            config = configs.get(channel)
            print_ = fingerprint(config) if config else ""
            why = ("the channel is not configured any more" if not config
                   else self.alerts.disabled_reason(channel, print_))
            if why:
                self.alerts.drop([outbox_id], why, now)
                counts["dropped"] += 1
                continue
            assert config is not None
            try:
                build(channel, config, self.http).notify(event)
            except TransportError as e:
                now = self.clock()
                if e.permanent:
                    # The channel's settings are never logged (URLs and tokens are secrets); the error never
                    # contains them (statusmon.notify.base).
                    log.error("%s channel disabled: %s", channel, e.message)
                    self.alerts.disable(channel, print_, e.message, now)
                    blocked.add(channel)
                    counts["dropped"] += 1
                    continue
                self.alerts.record_error(channel, e.message, now)
                if now - created_at > MAX_AGE:
                    log.error("%s: giving up on a notification after %d attempts: %s", channel, attempts + 1,
                              e.message)
                    self.alerts.drop([outbox_id], e.message, now)
                    counts["dropped"] += 1
                else:
                    delay = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** attempts)
                    log.warning("%s: delivery failed (%s), retrying in %.0f s", channel, e.message, delay)
                    self.alerts.mark_retry(outbox_id, e.message, now + delay)
                    counts["retry"] += 1
                blocked.add(channel)
                continue
            self.alerts.mark_sent(outbox_id, channel, self.clock())
            counts["sent"] += 1
        return counts

