"""The wire format of ``POST /api/report``: samples as compact JSON, a batch as gzip-compressed JSON."""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from typing import Any

from statusmon import __version__


def encode_sample(sample: dict[str, Any]) -> str:
    """One sample as compact JSON; ValueError on NaN/inf (cleaned at the source, so that is a bug)."""
    return json.dumps(sample, allow_nan=False, separators=(",", ":"))


def report_json(samples: Sequence[str], dropped: int, labels: dict[str, str] | None = None) -> bytes:
    """The report body, uncompressed. Spooled samples are already JSON: they are joined, not re-parsed.
    ``labels``: the host's labels from the config (None: send none, and the server keeps what it knows)."""
    head_fields: dict[str, object] = {"agent_version": __version__, "dropped": int(dropped)}
    if labels is not None:
        head_fields["labels"] = labels
    head = json.dumps(head_fields, separators=(",", ":"))
    return (head[:-1] + ',"samples":[' + ",".join(samples) + "]}").encode("utf-8")


def report_body(samples: Sequence[str], dropped: int, labels: dict[str, str] | None = None) -> bytes:
    return gzip.compress(report_json(samples, dropped, labels), compresslevel=6, mtime=0)
