"""The overview's part of a client's latest sample: what a card or table row of the dashboard's overview paints,
sorts and groups on (dashboards/web/src/pages/overview/cells.ts, shape.ts sortValue, arrangement.ts). Stored with
the whole sample (clients.overview_sample), so ``GET /api/clients?fields=overview`` sends ~140 bytes a host
instead of the whole sample with its disk, GPU and container lists, and decodes nothing."""

from __future__ import annotations

import json
from typing import Any

# ts: the card's sparkline point and "last seen"; the rest: the cells (Net is rx + tx).
OVERVIEW_FIELDS = ("ts", "cpu_percent", "ram_percent", "disk_percent", "inode_percent", "gpu_percent",
                   "docker_bytes", "net_rx_bytes_per_s", "net_tx_bytes_per_s")


def overview_sample(sample: dict[str, Any]) -> dict[str, Any]:
    """The sample's overview fields it carries (an older agent's lack some: they stay absent, as in the whole)."""
    return {k: sample[k] for k in OVERVIEW_FIELDS if k in sample}


def overview_json(sample: dict[str, Any]) -> str:
    return json.dumps(overview_sample(sample), separators=(",", ":"))


def overview_of_stored(sample_json: str) -> str:
    """From a whole sample's stored JSON text (a row written before the column existed)."""
    return overview_json(json.loads(sample_json))
