"""A stored sample as the dashboard, the client list and the live feed show it (derived percentages included)."""

from __future__ import annotations

import dataclasses
from typing import Any

from statusmon.store.base import Sample

DETAILS = ("net", "diskio", "temps", "containers")


def _present(record: Any) -> dict[str, Any]:
    return {k: v for k, v in dataclasses.asdict(record).items() if v is not None}


def sample_view(s: Sample) -> dict[str, Any]:
    view: dict[str, Any] = {
        "ts": s.ts, **s.values,
        "disks": [{"mount": d.mount, **d.fields()} for d in s.disks],
        "gpus": [{"index": gpu.index, "uuid": gpu.uuid, "name": gpu.name, **gpu.fields(),
                  **({"processes": [_present(p) for p in gpu.processes]} if gpu.processes else {})}
                 for gpu in s.gpus],
    }
    for name in DETAILS:  # only where the agent sent them: older agents' views stay as they were
        records = getattr(s, name)
        if records:
            view[name] = [_present(r) for r in records]
    return view


def latest_view(samples: list[Sample]) -> dict[str, Any] | None:
    """The newest sample's view; a detail list it lacks (containers ride on one sample per poll) comes from
    the newest sample of the batch that has one, with the time it was taken (``containers_ts``)."""
    if not samples:
        return None
    newest = max(samples, key=lambda s: s.ts)
    view = sample_view(newest)
    for name in DETAILS:
        if name in view:
            continue
        having = [s for s in samples if getattr(s, name)]
        if having:
            source = max(having, key=lambda s: s.ts)
            view[name] = [_present(r) for r in getattr(source, name)]
            view[f"{name}_ts"] = source.ts
    return view
