"""Network traffic of the physical interfaces: ``net`` (per interface: bytes and errors per second) and the sums
``net_rx_bytes_per_s``, ``net_tx_bytes_per_s``, from the counters in /proc/net/dev between two samples.

Physical means not virtual: loopback, veth pairs, bridges (docker0, br-*, virbr*), tunnels and the like are left
out, so container traffic is not counted twice. The kernel lists its virtual devices in
/sys/devices/virtual/net (re-read every 30 s); the name patterns below catch them where sysfs is not the host's.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from agent.collectors import Fields
from agent.collectors.procfs import ProcFile, list_dir, sys_root_for
from agent.collectors.rates import CounterRates, total

if TYPE_CHECKING:
    from agent.config import Config

VIRTUAL_PREFIXES = ("lo", "veth", "docker", "br-", "virbr", "vnet", "tun", "tap", "cni", "flannel", "cali",
                    "vxlan", "kube-", "podman", "lxcbr", "lxdbr", "dummy", "ifb", "wg", "zt")
MAX_IFACES = 64  # the API's limit per sample
REFRESH_SECONDS = 30.0


def parse_net_dev(text: str) -> dict[str, tuple[int, int, int, int]]:
    """Pure: /proc/net/dev as {iface: (rx_bytes, tx_bytes, rx_errors, tx_errors)}."""
    out: dict[str, tuple[int, int, int, int]] = {}
    for line in text.splitlines():
        name, sep, rest = line.partition(":")
        if not sep or "|" in rest:
            continue
        cols = rest.split()
        if len(cols) < 11:
            continue
        out[name.strip()] = (int(cols[0]), int(cols[8]), int(cols[2]), int(cols[10]))
    return out


def is_physical(iface: str, virtual: frozenset[str]) -> bool:
    return iface not in virtual and not iface.startswith(VIRTUAL_PREFIXES)


def net_fields(rates: dict[str, tuple[float | None, ...]]) -> Fields:
    """Pure: the wire fields from per-interface rates (rx, tx, rx errors, tx errors per second)."""
    items = []
    for iface in sorted(rates)[:MAX_IFACES]:
        entry: dict[str, object] = {"iface": iface}
        for key, value in zip(("rx_bytes_per_s", "tx_bytes_per_s", "rx_errors_per_s", "tx_errors_per_s"),
                              rates[iface], strict=True):
            if value is not None:
                entry[key] = round(value, 1)
        items.append(entry)
    fields: Fields = {"net": items}
    for key, index in (("net_rx_bytes_per_s", 0), ("net_tx_bytes_per_s", 1)):
        value = total(rates, index)
        if value is not None:
            fields[key] = round(value, 1)
    return fields


class NetCollector:
    name = "net"

    def __init__(self, proc_root: str = "/proc", sys_root: str | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._file = ProcFile(os.path.join(proc_root, "net", "dev"))
        self._physical: dict[str, bool] = {}  # per name, until the virtual list is read again
        self._virtual_dir = os.path.join(sys_root or sys_root_for(proc_root), "devices", "virtual", "net")
        self._virtual: frozenset[str] = frozenset()
        self._virtual_at = -1e9
        self._rates = CounterRates()

    def collect(self, now: float) -> Fields:
        mono = self._clock()
        if mono - self._virtual_at >= REFRESH_SECONDS:
            self._virtual, self._virtual_at = list_dir(self._virtual_dir), mono
            self._physical = {}
        physical = self._physical
        counters = {}
        for k, v in parse_net_dev(self._file.read()).items():
            keep = physical.get(k)
            if keep is None:
                keep = physical[k] = is_physical(k, self._virtual)
            if keep:
                counters[k] = v
        rates = self._rates.update(mono, counters)
        if not rates:  # the first sample: nothing to compare with yet
            return {}
        return net_fields(rates)

    def close(self) -> None:
        self._file.close()


def create(config: Config) -> NetCollector:
    return NetCollector(config.proc_root)
