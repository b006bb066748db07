"""Copy every client's history from one time-series store to the other (``statusmon migrate --to ...``).

The copy reads raw points one window (``window`` seconds, an hour by default) of one client at a time through
the store contract's ``series`` (raw when ``step`` is None) and writes them back as samples with ``write``, so
any pair of backends works. Both stores overwrite a point with the same (client, key, ts), so running it twice,
or again after an interruption, duplicates nothing. A checkpoint per client (the end of the last window written
and the samples copied so far) lives in a JSON state file, rewritten atomically after every window.

Each run copies up to its own end (now, for the command): a run with an existing state file continues every
client from its checkpoint, so a run killed halfway resumes after its last finished window, and a run after a
finished one copies what arrived since (the server may keep writing meanwhile). The range's start is the first
run's, moved forward to the new run's start when that is later (data past the retention is gone on both sides).
At the end each client's samples are counted again on both sides over the whole range and must match.

Not carried: a GPU's ``uuid`` and ``name``. InfluxDB does not store them (its tags are the client, host and GPU
index; see the README's schema) and the SQLite store writes them but reads them back nowhere, so neither side has
them to give. Derived percentages are recomputed from the raw byte counts on write, as at ingest.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from statusmon.metrics import DISK_METRIC_NAMES, GPU_METRIC_NAMES, SYSTEM_METRIC_NAMES
from statusmon.store.base import DiskSample, GpuSample, Sample, Series, TimeSeriesStore

DAY = 86400
_DISK_RAW = [n for n in DISK_METRIC_NAMES if not n.endswith("_percent")]
_GPU_RAW = [n for n in GPU_METRIC_NAMES if n != "mem_percent"]


@dataclass
class ClientResult:
    client_id: str
    hostname: str
    copied: int = 0  # samples written by every run on this state file
    this_run: int = 0  # samples written by this run
    source: int = 0
    target: int = 0

    @property
    def ok(self) -> bool:
        return self.source == self.target


@dataclass
class Checkpoints:
    """``{client_id: {"done_until": ts, "copied": n}}`` in a JSON file; saved atomically.

    ``start``/``end`` are the range of this run: ``load`` keeps the saved start unless the given one is later,
    and the saved end unless the given one is later (a rerun reaches up to its own now)."""

    path: Path
    start: int
    end: int
    state: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, start: int, end: int) -> Checkpoints:
        if path.exists():
            raw = json.loads(path.read_text())
            # The first run's start stands (counts compare like with like) unless retention moved it on;
            # the end is the later of the two, so a rerun copies what arrived since the last one.
            return cls(path, max(int(raw["start"]), start), max(int(raw["end"]), end), raw["clients"])
        return cls(path, start, end)

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"start": self.start, "end": self.end, "clients": self.state}))
        os.replace(tmp, self.path)


def samples_of(system: Series | None, disks: dict[str, Series], gpus: dict[str, Series]) -> list[Sample]:
    """Samples rebuilt from raw series of one client (the inverse of what ``write`` stores)."""
    by_ts: dict[int, dict[str, object]] = {}
    if system is not None:
        # Column by column, then one zip per row: building a dict per field lookup was a quarter of the copy.
        missing: list[object] = [None] * len(system.time)
        columns = [system.values.get(n, missing) for n in SYSTEM_METRIC_NAMES]
        for ts, row in zip(system.time, zip(*columns, strict=True), strict=True):
            by_ts[ts] = dict(zip(SYSTEM_METRIC_NAMES, row, strict=True))
    mounts: dict[int, list[DiskSample]] = {}
    for mount, s in disks.items():
        for i, ts in enumerate(s.time):
            v = {n: s.values[n][i] for n in _DISK_RAW}
            if v["used_bytes"] is None or v["total_bytes"] is None:
                continue
            mounts.setdefault(ts, []).append(DiskSample(
                mount, int(v["used_bytes"]), int(v["total_bytes"]), _int(v["inodes_used"]),
                _int(v["inodes_total"]), _int(v["avail_bytes"])))
    cards: dict[int, list[GpuSample]] = {}
    for index, s in gpus.items():
        for i, ts in enumerate(s.time):
            v = {n: s.values[n][i] for n in _GPU_RAW}
            cards.setdefault(ts, []).append(GpuSample(
                int(index), util_percent=v["util_percent"], mem_used_bytes=_int(v["mem_used_bytes"]),
                mem_total_bytes=_int(v["mem_total_bytes"]), temp_c=v["temp_c"], power_w=v["power_w"]))
    out = []
    for ts in sorted(set(by_ts) | set(mounts) | set(cards)):
        out.append(Sample(ts, by_ts.get(ts, {}), tuple(mounts.get(ts, ())),  # type: ignore[arg-type]
                          tuple(cards.get(ts, ()))))
    return out


def _int(v: object) -> int | None:
    return None if v is None else int(v)  # type: ignore[call-overload]


def count(store: TimeSeriesStore, client_id: str, start: int, end: int, window: int) -> int:
    """Samples (system points) of one client in [start, end), read window by window."""
    n = 0
    for w in range(start, end, window):
        s = store.series(client_id, w, min(end, w + window), None, "system").get("")
        n += len(s.time) if s is not None else 0
    return n


class Progress:
    """One line per window on a terminal (redrawn), a plain line per client otherwise."""

    def __init__(self, out: TextIO, total_windows: int):
        self.out, self.total, self.done, self.t0 = out, total_windows, 0, time.monotonic()
        self.tty = out.isatty()
        self.client_t0 = self.t0

    def step(self, host: str, copied: int) -> None:
        self.done += 1
        if self.tty:
            width = 30
            filled = int(width * self.done / max(1, self.total))
            self.out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} windows, "
                           f"{host}: {copied} samples")
            self.out.flush()

    def client_done(self, host: str, copied: int, this_run: int) -> None:
        now = time.monotonic()
        rate = this_run / max(1e-9, now - self.client_t0)
        self.client_t0 = now
        self.out.write(("\n" if self.tty else "") + f"{host}: {copied} samples copied ({rate:,.0f}/s)\n")
        self.out.flush()


def migrate(source: TimeSeriesStore, target: TimeSeriesStore, clients: Sequence[tuple[str, str]],
            checkpoints: Checkpoints, window: int = 3600, out: TextIO = sys.stderr,
            after_window: Callable[[str, int], None] | None = None) -> list[ClientResult]:
    """Copy ``clients`` ((id, hostname) pairs) from ``source`` to ``target``; the per-client result, counted on
    both sides. ``after_window(client_id, window_end)`` is called after each window is checkpointed (tests)."""
    start, end = checkpoints.start, checkpoints.end
    for client_id, _ in clients:
        cp = checkpoints.state.setdefault(client_id, {"done_until": start, "copied": 0})
        cp["done_until"] = max(cp["done_until"], start)
    progress = Progress(out, sum(len(range(checkpoints.state[c]["done_until"], end, window)) for c, _ in clients))
    results = []
    for client_id, host in clients:
        cp = checkpoints.state[client_id]
        before = cp["copied"]
        for w in range(cp["done_until"], end, window):
            w_end = min(end, w + window)
            system = source.series(client_id, w, w_end, None, "system").get("")
            disks = source.series(client_id, w, w_end, None, "disk")
            gpus = source.series(client_id, w, w_end, None, "gpu")
            batch = samples_of(system, disks, gpus)
            if batch:
                target.write(client_id, host, batch)
            cp["done_until"], cp["copied"] = w_end, cp["copied"] + len(batch)
            checkpoints.save()
            progress.step(host, cp["copied"])
            if after_window is not None:
                after_window(client_id, w_end)
        progress.client_done(host, cp["copied"], cp["copied"] - before)
        results.append(ClientResult(client_id, host, cp["copied"], cp["copied"] - before,
                                    count(source, client_id, start, end, DAY),
                                    count(target, client_id, start, end, DAY)))
    return results
