"""The running agent: the 1-second sampling loop (main thread) and the delivery thread, a watchdog over both,
signal handling and the clean flush on SIGTERM."""

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

from agent import collectors
from agent.config import Config
from agent.delivery import Delivery
from agent.payload import encode_sample
from agent.sampler import Sampler, next_tick
from agent.spool import Spool
from agent.transport import HttpTransport

log = logging.getLogger(__name__)

EXIT_WATCHDOG = 70
HEARTBEAT_CHUNK = 15.0  # the delivery thread proves it is alive at least this often while waiting


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
        self.transport = HttpTransport(config.server, config.token, config.http_timeout)
        self.delivery = Delivery(
            self.spool, self.transport.post_report, report_interval=config.report_interval,
            batch_max=config.batch_max, catchup_rate=config.catchup_rate,
            catchup_jitter=config.catchup_jitter, backoff_max=config.backoff_max,
            auth_retry=config.auth_retry)
        self._wake = threading.Event()
        self._sender = threading.Thread(target=self._deliver_forever, name="delivery", daemon=True)
        self._ledger: IO[str] | None = open(config.ledger, "a", encoding="utf-8") if config.ledger else None
        self.stale_after = 60.0 + 2 * config.http_timeout

    # -- threads ---------------------------------------------------------------------------------------------
    def _deliver_forever(self) -> None:
        while not self.stop.is_set():
            try:
                delay = self.delivery.step()
            except Exception:  # noqa: BLE001 - the thread must survive anything one step throws
                log.exception("delivery step failed; retrying in 10 s")
                delay = 10.0
            deadline = time.monotonic() + delay
            while not self.stop.is_set():
                self.delivery.activity = time.monotonic()
                left = deadline - time.monotonic()
                if left <= 0 or self._wake.wait(min(left, HEARTBEAT_CHUNK)):
                    break
            self._wake.clear()

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

    def take_sample(self, now: float) -> None:
        interval = self.config.sample_interval
        ts = int(round(now / interval) * interval)  # the sampling time, on the whole-second grid
        body = encode_sample(self.sampler.sample(ts))
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
        ticks = 0
        code = 0
        while not self.stop.is_set():
            target = next_tick(time.time(), interval)
            if self.stop.wait(max(0.0, target - time.time())):
                break
            self.take_sample(time.time())
            late = time.time() - target
            if late >= interval:  # never back-filled: the next tick is the next whole interval from now
                log.warning("sampling took %.1f s: %d sample(s) skipped", late, math.floor(late / interval))
            ticks += 1
            if ticks % 5 == 0:
                if not self._healthy():
                    code = EXIT_WATCHDOG
                    break
                sd_notify("WATCHDOG=1")
        return self.shutdown(code)

    def shutdown(self, code: int) -> int:
        sd_notify("STOPPING=1")
        self.stop.set()
        self._wake.set()
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
