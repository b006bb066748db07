"""`statusmon alerting`: the worker process. Evaluates every ``--interval`` seconds, delivers, repeats.

Settings come from the environment (statusmon.config.Settings: data dir, InfluxDB, public URL, webhook allowlist,
STATUSMON_ALERT_INTERVAL); alert rules, thresholds, webhook URLs and timeouts from the metadata DB, re-read
each cycle, so changes made in the dashboard apply at the next cycle without a restart.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType

from alerting.delivery import Dispatcher
from alerting.engine import CycleReport, Evaluator
from statusmon.lease import Lease, LocalLease, open_lease
from statusmon.meta.alerts import AlertDB
from statusmon.meta.settings import GlobalSettings
from statusmon.notify import HttpClient

log = logging.getLogger("alerting")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="statusmon alerting",
                                description="Evaluate alert rules and notify Slack or a webhook.")
    p.add_argument("--once", action="store_true", help="run one evaluation cycle (and deliver), then exit")
    p.add_argument("--interval", type=float, default=None,
                   help="seconds between cycles (default: STATUSMON_ALERT_INTERVAL, 10)")
    p.add_argument("--catchup", type=float, default=900.0,
                   help="how far back (seconds) a cycle may read samples after the worker was down "
                        "(default 900)")
    p.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING... (default: STATUSMON_LOG_LEVEL)")
    return p


class Worker:
    """Evaluates and delivers every ``interval`` seconds while it holds the ``alerting`` lease.

    Without Redis the lease is always held (one worker). With Redis, two or more workers may run: the holder
    renews the lease every third of its period and works; the others ask every tenth of it and stand by, so one
    takes over within the lease period (plus a tenth) of the holder's death. A worker that takes over (again)
    starts from a fresh ``Evaluator``: the states in memory are reloaded from the metadata DB, where the
    previous holder wrote every change that mattered (see alerting.engine).
    """

    def __init__(self, evaluator: Evaluator, dispatcher: Dispatcher, interval: float,
                 lease: Lease | None = None, lease_seconds: float = 15.0,
                 new_evaluator: Callable[[], Evaluator] | None = None):
        self.evaluator = evaluator
        self.dispatcher = dispatcher
        self.interval = interval
        self.lease: Lease = lease or LocalLease("alerting")
        self.lease_seconds = lease_seconds
        self.new_evaluator = new_evaluator
        self.leading: bool | None = None  # None: not asked yet
        self.stop = threading.Event()
        self.started_at = time.time()

    def cycle(self) -> CycleReport | None:
        alerts: AlertDB = self.evaluator.alerts
        now = time.time()
        try:
            report = self.evaluator.run_cycle(now)
        except Exception as e:  # a store outage must not end the worker: log, record, try next cycle
            log.exception("evaluation cycle failed")
            alerts.heartbeat(os.getpid(), self.started_at, now, None, f"{type(e).__name__}: {e}")
            return None
        if report.transitions:
            log.info("cycle: %d transitions, %d notifications queued", report.transitions,
                     report.notifications)
        try:
            gs = GlobalSettings(alerts.db).all()
            counts = self.dispatcher.deliver(gs, budget_s=max(5.0, self.interval))
            if counts["sent"] or counts["retry"] or counts["dropped"]:
                log.info("delivery: %s", counts)
            alerts.prune_outbox(now - 7 * 86400)
        except Exception:
            log.exception("delivery failed")
        alerts.heartbeat(os.getpid(), self.started_at, now, report.total_s * 1000, None)
        log.debug("cycle %.0f ms: %s", report.total_s * 1000, report.timings)
        return report

    def lead(self) -> bool:
        """Take or renew the lease; log a change of role and start afresh when taking over."""
        held = self.lease.acquire()
        if held and self.leading is not True:
            if self.leading is False and self.new_evaluator is not None:
                self.evaluator = self.new_evaluator()  # another worker held it: its writes are in the DB
            log.info("alerting: this worker holds the lease and evaluates (pid %d)", os.getpid())
        elif not held and self.leading is not False:
            log.info("alerting: another worker holds the lease; standing by (pid %d)", os.getpid())
        self.leading = held
        return held

    def loop(self) -> None:
        next_cycle = time.monotonic()
        while not self.stop.is_set():
            if self.lead() and time.monotonic() >= next_cycle:
                began = time.monotonic()
                self.cycle()
                next_cycle = began + self.interval
            if self.leading:  # renew every third of the lease period, however long the interval
                wait = min(self.lease_seconds / 3, max(0.0, next_cycle - time.monotonic()))
            else:
                wait = self.lease_seconds / 10
            self.stop.wait(wait)


def run(argv: list[str]) -> int:
    from statusmon.config import Settings
    from statusmon.meta.db import open_meta
    from statusmon.store import open_store

    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    logging.basicConfig(level=(args.log_level or settings.log_level).upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    interval = args.interval if args.interval is not None else settings.alert_interval
    if interval <= 0:
        log.error("the interval must be positive")
        return 2
    meta = open_meta(settings.meta_target)
    store = open_store(settings)
    alerts = AlertDB(meta)
    dispatcher = Dispatcher(alerts, HttpClient(settings.webhook_allow_hosts))
    evaluator = Evaluator(meta, store, settings.public_url, channels=dispatcher.active_channels,
                          catchup=args.catchup)
    def new_evaluator() -> Evaluator:
        return Evaluator(meta, store, settings.public_url, channels=dispatcher.active_channels,
                         catchup=args.catchup)

    lease = open_lease(settings, "alerting")
    worker = Worker(evaluator, dispatcher, interval, lease, settings.lease_seconds, new_evaluator)
    log.info("alerting worker: store %s, metadata %s, every %g s", store.describe(), meta.describe(),
             interval)
    if args.once:
        if not worker.lead():
            log.info("another worker holds the lease: nothing to do")
            return 0
        try:
            return 0 if worker.cycle() is not None else 1
        finally:
            worker.lease.release()

    def _stop(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: stopping after this cycle", signum)
        worker.stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    worker.loop()
    try:
        if worker.leading:  # a standby's progress is stale: the holder's is in the DB
            worker.evaluator.flush()
    except Exception:
        log.exception("could not write the last progress (it is replayed at the next start)")
    if worker.leading:
        worker.lease.release()  # a clean stop: a standby takes over at its next try, not after the TTL
    store.close()
    meta.close()
    return 0
