"""A stored sample as the dashboard, the client list and the live feed show it (derived percentages included)."""

from __future__ import annotations

from typing import Any

from statusmon.store.base import Sample


def sample_view(s: Sample) -> dict[str, Any]:
    return {
        "ts": s.ts, **s.values,
        "disks": [{"mount": d.mount, **d.fields()} for d in s.disks],
        "gpus": [{"index": gpu.index, "uuid": gpu.uuid, "name": gpu.name, **gpu.fields()} for gpu in s.gpus],
    }


def latest_view(samples: list[Sample]) -> dict[str, Any] | None:
    return sample_view(max(samples, key=lambda s: s.ts)) if samples else None
