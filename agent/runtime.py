"""The running agent: the 1-second sampling loop (main thread) and the delivery thread, a watchdog over both,
signal handling and the clean flush on SIGTERM.

The sampling loop owns the clock: it wakes on each whole second, takes the sample, then lets ``schedule``
(agent/jobs.py) run what else is due on that tick: the batch flush every report interval (it wakes the
delivery thread, which does the network I/O), the watchdog every 5 s and the slow collectors' refreshes. The
delivery thread keeps its own timer only for waits a reply decides: retry backoff, Retry-After, an auth pause
and backlog pacing.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import socket
import threading
import time
from types import FrameType
from typing import IO

from agent import collectors, health
from agent.config import Config
from agent.delivery import Delivery
from agent.jobs import Jobs
from agent.sampler import Sampler, next_tick
from agent.spool import Spool
from agent.transport import make_transport

log = logging.getLogger(__name__)

EXIT_WATCHDOG = 70
HEARTBEAT_CHUNK = 15.0  # the delivery thread proves it is alive at least this often while waiting
WATCHDOG_SECONDS = 5  # the unit's WatchdogSec is 60 s


def sd_notify(message: str) -> None:
    """Tell systemd (Type=notify, WatchdogSec=) how we are; a no-op outside systemd."""
    addr = os.environ.get("NOTIFY_SOCKET")
    if not addr:
        return
    if addr.startswith("@"):
        addr = "\0" + addr[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.connect(addr)
            s.sendall(message.encode())
    except OSError:
        pass


class Agent:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.stop = threading.Event()
        self.spool = Spool(config.spool_dir, config.spool_max_bytes, config.spool_max_age)
        self.sampler = Sampler(collectors.build(config))
        self.transport = make_transport(config)
        self.delivery = Delivery(
            self.spool, self.transport.post_report, report_interval=config.report_interval,
            batch_max=config.batch_max, catchup_rate=config.catchup_rate,
            catchup_jitter=config.catchup_jitter, backoff_max=config.backoff_max,
            auth_retry=config.auth_retry, labels=config.label_map)
        self._wake = threading.Event()  # set by the scheduled flush (and on stop)
        self.exit_code = 0
        self.jobs = Jobs()
        self.jobs.every(config.report_interval, self._wake.set, "flush")
        self.jobs.every(WATCHDOG_SECONDS, self._watchdog, "watchdog")
        for c in self.sampler.collectors:
            refresh = getattr(c, "refresh", None)
            if refresh is not None:
                self.jobs.every(int(getattr(c, "refresh_interval", config.slow_interval)), refresh, c.name)
        self._sender = threading.Thread(target=self._deliver_forever, name="delivery", daemon=True)
        self._ledger: IO[str] | None = open(config.ledger, "a", encoding="utf-8") if config.ledger else None
        self.stale_after = 60.0 + 2 * config.http_timeout
        self._marked = False  # the health mark (agent/health.py) is written after the first accepted report

    # -- threads ---------------------------------------------------------------------------------------------
    def _deliver_forever(self) -> None:
        while not self.stop.is_set():
            self._wake.clear()  # a flush due while this step runs is kept: it wakes the wait below at once
            try:
                delay = self.delivery.step()
                scheduled = self.delivery.idle
                if not self._marked and self.delivery.sent_samples:
                    self._mark_healthy()
            except Exception:  # noqa: BLE001 - the thread must survive anything one step throws
                log.exception("delivery step failed; retrying in 10 s")
                delay, scheduled = 10.0, False
            deadline = time.monotonic() + delay
            while not self.stop.is_set():
                self.delivery.activity = time.monotonic()
                if scheduled:  # steady state: until the sampling loop's scheduled flush
                    if self._wake.wait(HEARTBEAT_CHUNK):
                        break
                    continue
                left = deadline - time.monotonic()  # a wait the last reply decided: flush ticks do not cut it
                if left <= 0 or self.stop.wait(min(left, HEARTBEAT_CHUNK)):
                    break

    def _mark_healthy(self) -> None:
        self._marked = True
        try:
            health.write(self.config.health_path)
        except OSError as exc:
            log.warning("cannot write the health mark %s: %s", self.config.health_path, exc)

    def _healthy(self) -> bool:
        if not self._sender.is_alive():
            log.error("the delivery thread is gone")
            return False
        silent = time.monotonic() - self.delivery.activity
        if silent > self.stale_after:
            log.error("alive but silent: the delivery thread has shown no sign of life for %.0f s", silent)
            return False
        return True

    # -- main loop -------------------------------------------------------------------------------------------
    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        log.info("%s received: stopping", signal.Signals(signum).name)
        self.stop.set()

    def _watchdog(self) -> None:
        if self._healthy():
            sd_notify("WATCHDOG=1")
        else:
            self.exit_code = EXIT_WATCHDOG
            self.stop.set()

    def take_sample(self, now: float) -> None:
        interval = self.config.sample_interval
        ts = int(round(now / interval) * interval)  # the sampling time, on the whole-second grid
        body = self.sampler.sample_json(ts)
        self.spool.append(ts, body)
        if self._ledger is not None:
            self._ledger.write(body + "\n")
            self._ledger.flush()

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        self._sender.start()
        log.info("agent started: %d samples waiting in the spool, collectors: %s, reporting to %s",
                 len(self.spool), ", ".join(c.name for c in self.sampler.collectors), self.config.server)
        sd_notify("READY=1")
        interval = self.config.sample_interval
        while not self.stop.is_set():
            target = next_tick(time.time(), interval)
            if self.stop.wait(max(0.0, target - time.time())):
                break
            self.take_sample(time.time())
            report_interval = math.ceil(self.delivery.interval)
            if report_interval != self.jobs.interval("flush"):  # the server's hint changed it
                self.jobs.set_interval("flush", report_interval)
            self.jobs.run_pending(target)
            late = time.time() - target
            if late >= interval:  # never back-filled: the next tick is the next whole interval from now
                log.warning("sampling took %.1f s: %d sample(s) skipped", late, math.floor(late / interval))
        return self.shutdown(self.exit_code)

    def shutdown(self, code: int) -> int:
        sd_notify("STOPPING=1")
        self.stop.set()
        self._wake.set()
        self.jobs.cancel()
        if code == EXIT_WATCHDOG:
            # A stuck thread cannot be stopped in Python: exit and let systemd restart us. Every sample is in
            # the spool already (committed to the WAL), so nothing is lost.
            log.error("exiting so that the service manager restarts the agent")
            logging.shutdown()
            os._exit(code)
        deadline = time.monotonic() + self.config.stop_timeout
        self._sender.join(timeout=max(0.0, deadline - time.monotonic()))
        if not self._sender.is_alive() and len(self.spool):
            sent = self.delivery.flush(deadline)
            log.info("flushed %d samples on the way out; %d stay in the spool for next time", sent,
                     len(self.spool))
        self.transport.close()
        self.sampler.close()
        self.spool.close()
        if self._ledger is not None:
            self._ledger.close()
        log.info("agent stopped")
        return code
