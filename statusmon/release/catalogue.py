"""The release catalogue as the API shows it: which agent versions a TUF repository directory holds.

Read from the repository's own newest metadata (timestamp -> snapshot -> targets) as plain JSON, with no
verification: this is the server's own directory, and no trust decision rests on it (each agent verifies
everything itself). No tuf import, so the server extra does not need it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def releases(repo: str | Path) -> list[dict[str, Any]]:
    """``[{"version", "targets": [{"python", "machine", "length"}]}]``, newest version first; [] when none."""
    meta = Path(repo) / "metadata"
    try:
        ts = json.loads((meta / "timestamp.json").read_text())["signed"]
        snap = json.loads((meta / f"{ts['meta']['snapshot.json']['version']}.snapshot.json").read_text())
        version = snap["signed"]["meta"]["targets.json"]["version"]
        targets = json.loads((meta / f"{version}.targets.json").read_text())["signed"]["targets"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    by_version: dict[str, list[dict[str, Any]]] = {}
    for info in targets.values():
        custom = info.get("custom") or {}
        if isinstance(custom, dict) and custom.get("version"):
            by_version.setdefault(str(custom["version"]), []).append(
                {"python": custom.get("python"), "machine": custom.get("machine"), "length": info.get("length")})

    def key(v: str) -> tuple[int, ...]:
        return tuple(int(p) if p.isdigit() else -1 for p in v.split("."))

    return [{"version": v, "targets": by_version[v]} for v in sorted(by_version, key=key, reverse=True)]
