"""Per-container usage: ``containers`` (id, name, image, state, CPU share of the host, memory, network rates,
restart count) and the counts ``containers_running`` and ``containers_restarting`` (restarting now, or
restarted since the previous poll: what an alert rule watches), from the Docker Engine API on the unix socket,
every ``containers_interval`` seconds.

Each poll lists every container (``GET /containers/json?all=1``) and takes one-shot stats of the running ones
(``GET /containers/{id}/stats?stream=false&one-shot=true``); the restart count, which only the inspect reply
carries, is read when a container is first seen and when its state or its Status changes ("Up 2 hours" ->
"Up 3 seconds": restarted between two polls). Both kinds of request go pipelined, 64 at a time, on the one
connection (``engine.EngineClient``): a write and a few reads per batch rather than a round trip per container.
Of each stats reply only ``cpu_stats``, ``memory_stats`` and ``networks`` are scanned, and the list is parsed
again only when its bytes changed (see README "Footprint" for what each saves). The poll runs in a background
thread started by ``refresh()`` (scheduled by the runtime) over one kept-alive connection, so a host with
hundreds of containers or a slow daemon never delays the 1-second loop: ``collect`` only hands over the last
poll's result.

The two counts ride on every sample until the values are three intervals old. The list rides on the first
sample after each poll rather than on every sample: with 50 containers it is
about 7 kB of JSON, and repeating it every second would multiply the spool, the upload and the stored rows by
``containers_interval`` for values that did not change. CPU and network are rates between two polls (the
first poll of a container has none), so one-shot stats, which lack the daemon's own previous reading, serve.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from agent.collectors import Fields
from agent.collectors.engine import EngineClient, loads, members
from agent.collectors.rates import rate

if TYPE_CHECKING:
    from agent.config import Config

log = logging.getLogger(__name__)
MAX_CONTAINERS = 1000  # the API's limit per sample
MAX_LIST_BYTES = 32 * 1024 * 1024

STATS_KEYS = ('"cpu_stats":', '"memory_stats":', '"networks":')  # what parse_stats reads of a stats reply


class Container(NamedTuple):
    id: str
    name: str
    image: str
    state: str
    status: str = ""  # "Up 2 hours", "Exited (1) 3 minutes ago": changes when the container restarts


class Stats(NamedTuple):
    """The counters of one stats reply: CPU ns of the container and of the whole host, memory, network bytes."""

    cpu_ns: int | None
    system_ns: int | None
    mem_bytes: int | None
    mem_limit_bytes: int | None
    rx_bytes: int | None
    tx_bytes: int | None


def _int(value: Any) -> int | None:
    """A non-negative int (not a bool: ``type(True) is bool``), else None."""
    return value if type(value) is int and value >= 0 else None


def parse_list(doc: Any) -> list[Container]:
    """Pure: ``GET /containers/json`` as Containers (name without its leading slash), at most MAX_CONTAINERS."""
    out: list[Container] = []
    for c in doc if isinstance(doc, list) else []:
        if not isinstance(c, dict) or not isinstance(c.get("Id"), str):
            continue
        names = c.get("Names") or []
        name = names[0].lstrip("/") if names and isinstance(names[0], str) else c["Id"][:12]
        out.append(Container(c["Id"][:64], name[:200], str(c.get("Image") or "")[:200],
                             str(c.get("State") or "unknown")[:32], str(c.get("Status") or "")[:200]))
    return out[:MAX_CONTAINERS]


def _net_sum(networks: Any, key: str) -> int | None:
    """The sum of ``key`` over the interfaces; None if any interface lacks it (a partial sum would read as
    a drop) or there is no interface."""
    total, seen = 0, False
    for n in networks.values():
        if type(n) is not dict:
            continue
        value = n.get(key)
        if type(value) is not int or value < 0:
            return None
        total += value
        seen = True
    return total if seen else None


def parse_stats(doc: Mapping[str, Any]) -> Stats:
    """Pure: one stats reply (cgroup v1 or v2). Memory is usage less inactive page cache, as ``docker stats``
    shows it (v2: ``inactive_file``, v1: ``total_inactive_file``)."""
    return stats_of(doc.get("cpu_stats"), doc.get("memory_stats"), doc.get("networks"))


def _dict(value: Any) -> dict[str, Any]:
    return value if type(value) is dict else {}


def stats_of(cpu: Any, mem: Any, networks: Any) -> Stats:
    """Pure: Stats from a stats reply's ``cpu_stats``, ``memory_stats`` and ``networks`` (see parse_stats)."""
    cpu, mem = _dict(cpu), _dict(mem)
    usage = _int(mem.get("usage"))
    if usage is not None:
        extra = _dict(mem.get("stats"))
        inactive = _int(extra.get("inactive_file", extra.get("total_inactive_file"))) or 0
        usage = max(0, usage - inactive)
    limit = _int(mem.get("limit"))
    if type(networks) is dict and networks:
        rx, tx = _net_sum(networks, "rx_bytes"), _net_sum(networks, "tx_bytes")
    else:
        rx = tx = None
    return Stats(_int(_dict(cpu.get("cpu_usage")).get("total_usage")), _int(cpu.get("system_cpu_usage")),
                 usage, limit or None, rx, tx)


def stats_reply(body: bytes | None) -> Stats | None:
    """Pure: Stats from a stats reply's body, or None (no body, not JSON, not an object). Only the three
    members parse_stats reads are scanned (``engine.members``: about half the document, the rest being
    ``precpu_stats``, ``blkio_stats``, ``pids_stats`` and the like), the whole document when they do not
    scan alone."""
    if body is None:
        return None
    try:
        text = body.decode()
        parts = members(text, STATS_KEYS)
        if parts is not None:
            return stats_of(*parts)
        doc = loads(text)
    except ValueError:
        return None
    return parse_stats(doc) if type(doc) is dict else None


def container_entry(c: Container, cur: Stats | None, prev: tuple[float, Stats] | None, now: float,
                    restarts: int | None) -> dict[str, Any]:
    """Pure: one ``containers`` item. ``prev`` is (time, stats) of the last poll; rates need both readings and
    a counter that did not go back (a restarted container starts its counters again)."""
    entry: dict[str, Any] = {"id": c.id, "name": c.name, "image": c.image, "state": c.state}
    if restarts is not None:
        entry["restart_count"] = restarts
    if cur is None:
        return entry
    if cur.mem_bytes is not None:
        entry["mem_bytes"] = cur.mem_bytes
    if cur.mem_limit_bytes is not None:
        entry["mem_limit_bytes"] = cur.mem_limit_bytes
    if prev is None:
        return entry
    then, old = prev
    if None not in (cur.cpu_ns, old.cpu_ns, cur.system_ns, old.system_ns):
        busy = rate(old.cpu_ns, cur.cpu_ns, 1.0)  # type: ignore[arg-type]
        host = rate(old.system_ns, cur.system_ns, 1.0)  # type: ignore[arg-type]
        if busy is not None and host:
            entry["cpu_percent"] = round(min(100.0, 100.0 * busy / host), 2)
    for key, a, b in (("net_rx_bytes_per_s", old.rx_bytes, cur.rx_bytes),
                      ("net_tx_bytes_per_s", old.tx_bytes, cur.tx_bytes)):
        if a is not None and b is not None:
            value = rate(a, b, now - then)
            if value is not None:
                entry[key] = round(value, 1)
    return entry


def _restart_count(doc: Any) -> int | None:
    return _int(doc.get("RestartCount")) if isinstance(doc, dict) else None


class ContainersCollector:
    name = "containers"

    def __init__(self, socket_path: str, interval: float, start: bool = True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._engine = EngineClient(socket_path)
        self._interval = interval
        self.refresh_interval = max(1, int(interval))
        self._clock = clock
        self._prev: dict[str, tuple[float, Stats]] = {}
        self._states: dict[str, tuple[str, str]] = {}  # id: (state, Status) at the last poll
        self._list_body = b""
        self._list_parsed: list[Container] = []
        self._restarts: dict[str, int] = {}
        self._fresh: list[dict[str, Any]] | None = None  # the last poll's list, until a sample takes it
        self._counts: Fields = {}
        self._counts_at = -1e9
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._logged = False
        self.counts: Fields = {}
        if start:
            self.refresh()

    def _list(self) -> list[Container]:
        """``GET /containers/json?all=1``, parsed again only when its bytes changed (a host whose containers
        run on answers the same list poll after poll, but for a Status like "Up 2 hours" now and then)."""
        body = self._engine.get_body("/containers/json?all=1", MAX_LIST_BYTES)
        if body != self._list_body:
            self._list_parsed = parse_list(loads(body))
            self._list_body = body
        return self._list_parsed

    def poll(self) -> list[dict[str, Any]]:
        """One poll (blocking; the background thread's work): the ``containers`` list."""
        containers = self._list()
        now = self._clock()
        items = []
        prev, self._prev = self._prev, {}
        restarting = 0
        running = [c.id for c in containers if c.state == "running"]
        bodies = self._engine.get_bodies([f"/containers/{cid}/stats?stream=false&one-shot=true" for cid in running])
        stats_of = dict(zip(running, map(stats_reply, bodies), strict=True))  # get_bodies answers every path
        # The restart count (inspect only) can have changed only where the state or the Status did ("Up 2
        # hours" -> "Up 3 seconds" for a container restarted between two polls).
        states = self._states
        changed = [c.id for c in containers
                   if states.get(c.id) != (c.state, c.status) or c.state == "restarting" or c.id not in self._restarts]
        before_of = {cid: self._restarts.get(cid) for cid in changed}
        inspected = self._engine.get_many([f"/containers/{cid}/json" for cid in changed], _restart_count)
        for cid, count in zip(changed, inspected, strict=True):
            if count is not None:
                self._restarts[cid] = count
        for c in containers:
            before = before_of.get(c.id, self._restarts.get(c.id))
            stats = stats_of.get(c.id)  # None: gone since the list, or the daemon failed it: next poll
            if stats is not None:
                self._prev[c.id] = (now, stats)
            after = self._restarts.get(c.id)
            if c.state == "restarting" or (before is not None and after is not None and after > before):
                restarting += 1
            items.append(container_entry(c, stats, prev.get(c.id), now, after))
        self.counts = {"containers_running": len(running), "containers_restarting": restarting}
        self._states = {c.id: (c.state, c.status) for c in containers}
        self._restarts = {k: v for k, v in self._restarts.items() if k in self._states}  # vanished: forgotten
        return items

    def _run(self) -> None:
        try:
            items = self.poll()
        except Exception as exc:  # noqa: BLE001 - no Docker here: the containers field stays absent
            if not self._logged:
                self._logged = True
                log.info("no Docker containers (%s): the containers field is absent; retrying every %d s",
                         exc, self.refresh_interval)
        else:
            with self._lock:
                self._fresh = items
                self._counts, self._counts_at = self.counts, self._clock()
        finally:
            self._done.set()

    def refresh(self) -> None:
        """Start a poll in the background unless one is still running (returns at once)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._run, name="docker-containers", daemon=True)
        self._thread.start()

    def settle(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for the first poll (for ``--once`` and tests)."""
        self._done.wait(timeout)
        if self._thread is not None:
            self._thread.join(timeout)

    def collect(self, now: float) -> Fields:
        with self._lock:
            items, self._fresh = self._fresh, None
            fields = dict(self._counts) if self._clock() - self._counts_at <= 3 * self._interval else {}
        if items is not None:
            fields["containers"] = items
        return fields

    def close(self) -> None:
        self._engine.close()


def create(config: Config) -> ContainersCollector:
    return ContainersCollector(config.docker_socket, float(config.containers_interval))

