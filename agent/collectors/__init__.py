"""Collectors: one per file, one small contract, registered in ONE list (``REGISTRY``), enabled by name.

A collector has a ``name`` and ``collect(now) -> dict`` returning wire fields (``cpu_percent``, ``disks``,
...); ``close()`` releases what it holds. A collector that raises costs only its own fields for that sample
(the sampler catches, times and records each run). A collector whose source is absent (no NVML, no GPU, no
Docker) returns ``{}`` and logs that once. Each module exposes ``create(config) -> Collector``.

A collector with slow work (a measurement that takes seconds, a library to probe again) may also have
``refresh_interval`` (seconds) and ``refresh()``: the runtime schedules ``refresh`` with the other periodic jobs
(agent/jobs.py), and ``refresh`` must return at once (slow work goes to a background thread). ``collect`` never
starts slow work itself; it reports the last value.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from agent.config import Config

Fields = dict[str, Any]


class Collector(Protocol):
    name: str

    def collect(self, now: float) -> Fields: ...

    def close(self) -> None: ...


# The one list. Order is the order fields are gathered in; modules are imported only when enabled, so a host
# without the GPU collector enabled never loads NVML.
REGISTRY: tuple[tuple[str, str], ...] = (
    ("cpu", "agent.collectors.cpu"),
    ("memory", "agent.collectors.memory"),
    ("disks", "agent.collectors.disks"),
    ("gpu", "agent.collectors.gpu"),
    ("docker", "agent.collectors.docker"),
    ("load", "agent.collectors.load"),
    ("net", "agent.collectors.net"),
    ("diskio", "agent.collectors.diskio"),
    ("temps", "agent.collectors.temps"),
    ("containers", "agent.collectors.containers"),
)
COLLECTOR_NAMES: tuple[str, ...] = tuple(name for name, _ in REGISTRY)


def build(config: Config) -> list[Collector]:
    """Instantiate the collectors enabled in ``config``, in registry order."""
    enabled = set(config.collectors)
    return [importlib.import_module(module).create(config) for name, module in REGISTRY if name in enabled]
