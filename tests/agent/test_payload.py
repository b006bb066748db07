"""The wire: one golden payload, and the contract test: the agent's real payload goes through the API's own
schema (api.schemas.ReportValidator) and comes out field for field the same."""

from __future__ import annotations

import gzip
import importlib.util
import json
import time
from pathlib import Path
from typing import Any

import pytest

from agent.collectors.cpu import CpuCollector
from agent.collectors.disks import DisksCollector
from agent.collectors.gpu import GpuCollector
from agent.collectors.memory import MemoryCollector
from agent.payload import encode_sample, report_body, report_json
from agent.sampler import Sampler
from statusmon import __version__
from tests.agent.fixtures import FakeNVML
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
        return {"docker_bytes": 9_620_000_000}

    def close(self) -> None:
        pass


def real_payload() -> dict[str, Any]:
    sampler = Sampler(
        [
            CpuCollector(),
            MemoryCollector(),
            DisksCollector(),
            GpuCollector(nvml=FakeNVML()),
            FixedDocker(),
        ]
    )
    samples = []
    for i in (2, 1, 0):
        time.sleep(0.05)  # the CPU collector measures over an interval (jiffies are 10 ms)
        samples.append(encode_sample(sampler.sample(int(time.time()) - i)))
    return json.loads(report_json(samples, dropped=0, labels={"env": "prod", "rack": "b12"}))


def test_the_agents_real_payload_is_accepted_by_the_api_schema_field_for_field(tmp_path: Path) -> None:
    require(importlib.util.find_spec("marshmallow") is not None, "marshmallow (the server extra)")
    from api.schemas import ReportValidator, to_samples
    from statusmon.config import Settings

    payload = real_payload()
    sample = payload["samples"][-1]
    for name in (
        "cpu_percent",
        "ram_percent",
        "disk_percent",
        "inode_percent",
        "gpu_percent",
        "docker_bytes",
        "disks",
        "gpus",
    ):
        assert name in sample, f"the real sample lacks {name}: the contract test would prove less"
    loaded = ReportValidator(Settings(data_dir=tmp_path)).load(payload)
    assert loaded == payload
    stored = to_samples(loaded)[-1]
    assert {k: v for k, v in stored.values.items() if v is not None} == {
        k: v for k, v in sample.items() if k not in ("ts", "disks", "gpus")
    }
    assert [d.mount for d in stored.disks] == [d["mount"] for d in sample["disks"]]
    assert [g.uuid for g in stored.gpus] == [g["uuid"] for g in sample["gpus"]]
