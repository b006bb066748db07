"""Delivery policy: what to send, what each reply means, how long to wait. No threads, no sleeping: the clock
and the randomness are parameters, so every fault sequence is a table-driven test.

- 2xx: the batch is acknowledged and deleted from the spool; a ``report_interval`` hint (1..60 s) is honoured.
- 5xx, 408, 429, network errors: retried with capped exponential backoff and full jitter; Retry-After wins.
- 413: the batch is split in halves until it fits (one sample still too large is quarantined).
- 400, 422: the batch is bisected (within a budget of requests) so only the refused samples are quarantined;
  the server's message is logged (for far-future timestamps that is the clock-skew diagnosis).
- 401, 403 and any other 4xx (wrong URL, wrong server): sending stops, loudly, and is tried again after
  ``auth_retry`` seconds; sampling and spooling go on.
- After an outage, a backlog drains oldest-first at ``catchup_rate`` samples per second, after a random delay.
"""

from __future__ import annotations

import json
import logging
import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

from agent.oncelog import OnceLog
from agent.payload import report_body
from agent.spool import Row, Spool
from agent.transport import Reply, parse_retry_after, server_clock_skew

log = logging.getLogger(__name__)

MIN_HINT, MAX_HINT = 1.0, 60.0
BACKOFF_BASE = 1.0
RETRY_AFTER_MAX = 3600.0
BISECT_BUDGET = 16  # extra requests spent isolating poison samples in one batch
SKEW_WARN_SECONDS = 60.0


@dataclass(frozen=True)
class Outcome:
    kind: str  # "ok", "retry", "stop"
    retry_after: float | None = None
    detail: str = ""


def error_text(reply: Reply) -> str:
    """The API's one error shape, ``{"error": {"code", "message", "details"}}``, as one line."""
    try:
        err = json.loads(reply.body)["error"]
        text = f"{err.get('code', '')}: {err.get('message', '')}"
        if err.get("details"):
            text += f" ({json.dumps(err['details'])[:500]})"
        return text
    except (ValueError, KeyError, TypeError, AttributeError):
        return reply.body[:300].decode("utf-8", "replace") or f"HTTP {reply.status}"


class Delivery:
    def __init__(self, spool: Spool, post: Callable[[bytes], Reply], *, report_interval: float,
                 batch_max: int, catchup_rate: float, catchup_jitter: float, backoff_max: float,
                 auth_retry: float, labels: dict[str, str] | None = None,
                 rand: Callable[[], float] = random.random, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.spool = spool
        self.post = post
        self.interval = float(report_interval)
        self.batch_max = batch_max
        self.catchup_rate = catchup_rate
        self.catchup_jitter = catchup_jitter
        self.backoff_max = backoff_max
        self.auth_retry = auth_retry
        self.labels = labels
        self.rand, self.clock, self.monotonic = rand, clock, monotonic
        self.failures = 0
        self.catching_up = False
        self.blocked_until = 0.0
        self.activity = monotonic()  # last sign of life, for the "alive but silent" watchdog
        self.last_skew: float | None = None
        self.sent_samples = 0
        # True when the last step ended in the steady state: the next one is simply the next report interval,
        # which the runtime's scheduled flush triggers; False while a backoff, Retry-After, an auth pause or
        # backlog pacing owns the wait (the returned delay).
        self.idle = False
        self._once = OnceLog(log)

    # -- one step --------------------------------------------------------------------------------------------
    def step(self) -> float:
        """Deliver what is due now; return the seconds to wait before the next step (see ``idle``)."""
        self.idle = False
        self.activity = now = self.monotonic()
        if self.blocked_until > now:
            return self.blocked_until - now
        self.spool.enforce_caps(self.clock())
        rows = self.spool.oldest(self.batch_max)
        if not rows:
            self.catching_up = False
            self.idle = True
            return self.interval
        outcome = self.send(rows, [BISECT_BUDGET])
        if outcome.kind == "ok":
            return self._after_success()
        if outcome.kind == "stop":
            self.blocked_until = self.monotonic() + self.auth_retry
            return self.auth_retry
        return self._after_failure(outcome)

    def _after_success(self) -> float:
        if self.failures:
            log.info("delivering again after %d failed attempt(s); %d samples waiting", self.failures,
                     len(self.spool))
        self.failures = 0
        backlog = len(self.spool)
        if backlog > max(10.0, 2 * self.interval):
            if not self.catching_up:
                self.catching_up = True
                delay = self.rand() * self.catchup_jitter
                log.info("draining a backlog of %d samples at most %d/s, starting in %.1f s", backlog,
                         self.catchup_rate, delay)
                return delay
            return max(0.05, min(self.batch_max, backlog) / self.catchup_rate)
        self.catching_up = False
        self.idle = True
        return self.interval

    def _after_failure(self, outcome: Outcome) -> float:
        self.failures += 1
        if self.failures == 1:
            log.warning("cannot deliver (%s); retrying with backoff, samples stay spooled", outcome.detail)
        else:
            log.debug("delivery attempt %d failed: %s", self.failures, outcome.detail)
        if outcome.retry_after is not None:
            wait = min(outcome.retry_after, RETRY_AFTER_MAX)
            return wait * (1.0 + 0.1 * self.rand())  # honoured, plus a little spread across the fleet
        ceiling = min(self.backoff_max, BACKOFF_BASE * 2.0 ** min(self.failures, 30))
        return max(0.1, self.rand() * ceiling)  # full jitter

    # -- one request (recursive for splits) ------------------------------------------------------------------
    def send(self, rows: list[Row], budget: list[int]) -> Outcome:
        """POST ``rows``; delete them on 2xx, split or quarantine on 413/400/422. Never raises for HTTP."""
        self.activity = self.monotonic()
        body = report_body([b for _, b in rows], self.spool.dropped, self.labels)
        try:
            reply = self.post(body)
        except OSError as exc:
            return Outcome("retry", detail=f"{type(exc).__name__}: {exc}")
        self._check_skew(reply)
        status = reply.status
        if 200 <= status < 300:
            self._forget(rows)
            self.sent_samples += len(rows)
            self._take_hint(reply)
            self._once.forget("stop")
            return Outcome("ok")
        if status in (400, 413, 422):
            if len(rows) > 1 and (status == 413 or budget[0] > 0):
                if status != 413:
                    budget[0] -= 2
                mid = len(rows) // 2
                first = self.send(rows[:mid], budget)
                return first if first.kind != "ok" else self.send(rows[mid:], budget)
            self._quarantine(rows, reply)
            return Outcome("ok")
        if status in (408, 429) or status >= 500:
            return Outcome("retry", parse_retry_after(reply.header("Retry-After"), self.clock()),
                           f"HTTP {status} {error_text(reply)}")
        self._once(logging.ERROR, "stop",
                   "THE SERVER REFUSES THIS AGENT: HTTP %d %s. Sending is stopped (sampling and spooling "
                   "go on) and tried again every %.0f s; check STATUSMON_AGENT_TOKEN and the server URL.",
                   status, error_text(reply), self.auth_retry)
        return Outcome("stop", detail=f"HTTP {status}")

    def _forget(self, rows: list[Row]) -> None:
        try:
            self.spool.delete(rows)
        except sqlite3.Error as exc:  # disk full: sent again later, which the server overwrites harmlessly
            log.warning("could not delete %d delivered samples from the spool: %s", len(rows), exc)

    def _quarantine(self, rows: list[Row], reply: Reply) -> None:
        why = error_text(reply)
        hint = ""
        if self.last_skew is not None and abs(self.last_skew) > SKEW_WARN_SECONDS:
            hint = f"; this host's clock is {self.last_skew:+.0f} s off the server's: fix NTP"
        log.error("the server refused %d sample(s) (ts %d..%d): HTTP %d %s%s; moved to %s and going on",
                  len(rows), rows[0][0], rows[-1][0], reply.status, why, hint, self.spool.quarantine_path)
        try:
            self.spool.quarantine(rows, reply.status, why)
        except sqlite3.Error as exc:
            log.warning("could not remove quarantined samples from the spool: %s", exc)

    def _take_hint(self, reply: Reply) -> None:
        try:
            hint = json.loads(reply.body).get("report_interval")
        except (ValueError, AttributeError):
            return
        if isinstance(hint, (int, float)) and not isinstance(hint, bool) and hint == hint:
            new = min(MAX_HINT, max(MIN_HINT, float(hint)))
            if new != self.interval:
                log.info("report interval is now %.0f s (server hint)", new)
                self.interval = new

    def _check_skew(self, reply: Reply) -> None:
        skew = server_clock_skew(reply, self.clock())
        if skew is None:
            return
        self.last_skew = skew
        # Date has one-second resolution: only a real offset is worth a warning
        if abs(skew) > SKEW_WARN_SECONDS:
            self._once(logging.WARNING, "skew", "this host's clock is %+.0f s off the server's (HTTP Date); "
                       "samples too far ahead are refused by the server: fix NTP", skew)
        else:
            self._once.forget("skew")

    # -- shutdown --------------------------------------------------------------------------------------------
    def flush(self, deadline: float) -> int:
        """On SIGTERM: send the spool, unpaced, until done, a failure or ``deadline`` (monotonic)."""
        sent_before = self.sent_samples
        while self.monotonic() < deadline and self.blocked_until <= self.monotonic():
            rows = self.spool.oldest(self.batch_max)
            if not rows or self.send(rows, [BISECT_BUDGET]).kind != "ok":
                break
        return self.sent_samples - sent_before
