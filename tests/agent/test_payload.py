"""The wire: one golden payload, and the contract test: the agent's real payload goes through the API's own
schema (api.schemas.ReportValidator) and comes out field for field the same."""

from __future__ import annotations

import dataclasses
import gzip
import importlib.util
import json
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from agent.collectors.containers import ContainersCollector
from agent.collectors.cpu import CpuCollector
from agent.collectors.diskio import DiskIoCollector
from agent.collectors.disks import DisksCollector
from agent.collectors.docker import BREAKDOWN, parse_system_df_breakdown
from agent.collectors.gpu import GpuCollector
from agent.collectors.load import LoadCollector
from agent.collectors.memory import MemoryCollector
from agent.collectors.net import NetCollector
from agent.collectors.temps import TempsCollector
from agent.payload import encode_sample, report_body, report_json
from agent.sampler import Sampler
from statusmon import __version__
from tests.agent.dockerengine import container, fake_engine
from tests.agent.fixtures import (
    DISKSTATS_1,
    DISKSTATS_2,
    MEMINFO,
    NET_DEV_1,
    NET_DEV_2,
    SENSORS,
    SYSTEM_DF_LEGACY,
    VIRTUAL_MEMORY,
    FakeNVML,
)
from tests.support.require import require

GOLDEN_SAMPLE = {
    "ts": 1764215000,
    "cpu_percent": 12.5,
    "ram_percent": 40.1,
    "disk_percent": 71.0,
    "inode_percent": 3.2,
    "docker_bytes": 123456789,
    "gpu_percent": 55.0,
    "disks": [{"mount": "/", "used_bytes": 1, "total_bytes": 2, "inodes_used": 3, "inodes_total": 4}],
    "gpus": [
        {
            "index": 0,
            "uuid": "GPU-x",
            "name": "NVIDIA H100 80GB HBM3",
            "util_percent": 55.0,
            "mem_used_bytes": 1,
            "mem_total_bytes": 2,
            "temp_c": 40.0,
            "power_w": 120.5,
        }
    ],
}


def test_golden_payload() -> None:
    body = report_json([encode_sample(GOLDEN_SAMPLE)], dropped=3)
    assert body == (
        b'{"agent_version":"' + __version__.encode() + b'","dropped":3,"samples":[{"ts":1764215000,'
        b'"cpu_percent":12.5,"ram_percent":40.1,"disk_percent":71.0,"inode_percent":3.2,"docker_bytes":123456789,'
        b'"gpu_percent":55.0,"disks":[{"mount":"/","used_bytes":1,"total_bytes":2,"inodes_used":3,'
        b'"inodes_total":4}],"gpus":[{"index":0,"uuid":"GPU-x","name":"NVIDIA H100 80GB HBM3",'
        b'"util_percent":55.0,"mem_used_bytes":1,"mem_total_bytes":2,"temp_c":40.0,"power_w":120.5}]}]}'
    )
    assert json.loads(gzip.decompress(report_body([encode_sample(GOLDEN_SAMPLE)], 3))) == json.loads(body)


def test_the_hosts_labels_go_in_the_reports_head() -> None:
    body = json.loads(report_json([encode_sample(GOLDEN_SAMPLE)], 0, {"env": "prod", "role": "gpu"}))
    assert body["labels"] == {"env": "prod", "role": "gpu"} and body["samples"] == [GOLDEN_SAMPLE]
    assert "labels" not in json.loads(report_json([encode_sample(GOLDEN_SAMPLE)], 0))

def test_nan_never_reaches_the_wire() -> None:
    with pytest.raises(ValueError):
        encode_sample({"ts": 1, "cpu_percent": float("nan")})


class FixedDocker:
    name = "docker"

    def collect(self, now: float) -> dict[str, Any]:
        breakdown = parse_system_df_breakdown(SYSTEM_DF_LEGACY)
        return {"docker_bytes": sum(breakdown[k] for k in BREAKDOWN), **breakdown}

    def close(self) -> None:
        pass


def real_payload(tmp: Path) -> dict[str, Any]:
    """Three samples of every collector: the real ones where this host has the source, the others reading
    fixture /proc and /sys trees, a fake NVML and a fake Docker engine on a unix socket."""
    proc, sys = tmp / "proc", tmp / "sys"
    (proc / "net").mkdir(parents=True)
    (sys / "block" / "nvme0n1").mkdir(parents=True)
    (proc / "4242").mkdir()
    (proc / "4242" / "comm").write_text("python3\n")
    (proc / "meminfo").write_text(MEMINFO + "SwapTotal: 1000 kB\nSwapFree: 750 kB\n")
    (proc / "loadavg").write_text("3.20 2.10 1.00 4/900 4242\n")
    inputs = [(NET_DEV_1, DISKSTATS_1), (NET_DEV_2, DISKSTATS_2), (NET_DEV_2, DISKSTATS_2)]
    engine_containers = {c["id"]: c for c in (container(1, system_ns=10**12), container(2, state="exited"))}
    with fake_engine(str(tmp / "docker.sock"), engine_containers) as engine:
        containers = ContainersCollector(engine["path"], interval=10)
        containers.settle(5)
        containers._counts_at = time.monotonic()
        sampler = Sampler(
            [
                CpuCollector(),
                MemoryCollector(SimpleNamespace(virtual_memory=lambda: VIRTUAL_MEMORY), str(proc)),
                DisksCollector(),
                GpuCollector(nvml=FakeNVML(), proc_root=str(proc)),
                FixedDocker(),
                LoadCollector(str(proc), cpus=8),
                NetCollector(str(proc), str(sys)),
                DiskIoCollector(str(proc), str(sys)),
                TempsCollector(SimpleNamespace(sensors_temperatures=lambda: SENSORS)),
                containers,
            ]
        )
        samples = []
        for i, (net_dev, diskstats) in zip((2, 1, 0), inputs, strict=True):
            (proc / "net" / "dev").write_text(net_dev)
            (proc / "diskstats").write_text(diskstats)
            if i == 0:
                engine_containers[f"{1:064x}"].update(cpu_ns=10**9, system_ns=10**12 + 8 * 10**9, rx=4096, tx=512)
                containers.refresh()  # the second poll: rates
                containers.settle(5)
            time.sleep(0.05)  # the CPU collector measures over an interval (jiffies are 10 ms)
            samples.append(encode_sample(sampler.sample(int(time.time()) - i)))
        sampler.close()
    return json.loads(report_json(samples, dropped=0, labels={"env": "prod", "rack": "b12"}))


DETAILS = ("disks", "gpus", "net", "diskio", "temps", "containers")


def test_the_agents_real_payload_is_accepted_by_the_api_schema_field_for_field(tmp_path: Path) -> None:
    require(importlib.util.find_spec("marshmallow") is not None, "marshmallow (the server extra)")
    from api.schemas import ReportValidator, to_samples
    from statusmon.config import Settings
    from statusmon.metrics import SYSTEM_METRIC_NAMES

    payload = real_payload(tmp_path)
    sample = payload["samples"][-1]
    for name in (*SYSTEM_METRIC_NAMES, *DETAILS):
        assert name in sample, f"the real sample lacks {name}: the contract test would prove less"
    assert sample["gpus"][0]["processes"][0] == {"pid": 4242, "name": "python3", "mem_used_bytes": 78_000_000_000}
    assert "cpu_percent" in sample["containers"][0] and "net_rx_bytes_per_s" in sample["containers"][0]
    validator = ReportValidator(Settings(data_dir=tmp_path))
    loaded = validator.load(payload)
    assert loaded == payload
    stored = to_samples(loaded)[-1]
    assert {k: v for k, v in stored.values.items() if v is not None} == {
        k: v for k, v in sample.items() if k not in ("ts", *DETAILS)
    }
    assert [d.mount for d in stored.disks] == [d["mount"] for d in sample["disks"]]
    assert [g.uuid for g in stored.gpus] == [g["uuid"] for g in sample["gpus"]]
    def present(record: Any) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(record).items() if v is not None}

    assert [present(p) for p in stored.gpus[0].processes] == sample["gpus"][0]["processes"]
    for name, records in (("net", stored.net), ("diskio", stored.diskio), ("temps", stored.temps),
                          ("containers", stored.containers)):
        assert [present(r) for r in records] == sample[name], name
    assert validator.fast.load(payload) == ({"agent_version": __version__, "dropped": 0,
                                             "labels": {"env": "prod", "rack": "b12"}}, to_samples(loaded))
