"""Generated documentation: the README's tables of metrics (from the catalogue) and of run-time settings (from
the settings table); tests keep the README equal to them.

    python -m statusmon.docs            # the metric table
    python -m statusmon.docs settings   # the settings table
"""

from __future__ import annotations

import sys

from statusmon.meta.settings import SETTINGS
from statusmon.metrics import ALL_METRICS

FAMILY_TITLE = {"system": "`system` (one per sample)", "disk": "`disk` (per mount, tag `mount`)",
                "gpu": "`gpu` (per GPU, tag `gpu`)", "net": "`net` (per physical interface, tag `iface`)",
                "diskio": "`diskio` (per whole disk, tag `device`)",
                "temp": "`temp` (per sensor, tag `sensor`: chip/label)",
                "container": "`container` (per container, tag `container`: its name)"}


def metrics_table() -> str:
    lines = ["| measurement | field | unit | type | meaning |", "|---|---|---|---|---|"]
    for m in ALL_METRICS:
        kind = "integer" if m.integer else "float"
        lines.append(f"| {FAMILY_TITLE[m.family]} | `{m.name}` | {m.unit} | {kind} | {m.description} |")
    return "\n".join(lines)


def settings_table() -> str:
    """The README's table of settings keys (between ``<!-- settings-table -->`` markers)."""
    lines = ["| key | default | meaning |", "|---|---|---|"]
    for s in SETTINGS:
        default = s.shown_default or ("empty" if s.default is None else f"`{s.default}`")
        secret = " Secret: masked when read back." if s.secret else ""
        lines.append(f"| `{s.key}` | {default} | {s.description}.{secret} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(settings_table() if sys.argv[1:] == ["settings"] else metrics_table())
