"""Generated documentation: the README's metric table comes from the catalogue (a test keeps them equal).

    python -m statusmon.docs   # prints the table
"""

from __future__ import annotations

from statusmon.metrics import ALL_METRICS

FAMILY_TITLE = {"system": "`system` (one per sample)", "disk": "`disk` (per mount, tag `mount`)",
                "gpu": "`gpu` (per GPU, tag `gpu`)"}


def metrics_table() -> str:
    lines = ["| measurement | field | unit | type | meaning |", "|---|---|---|---|---|"]
    for m in ALL_METRICS:
        kind = "integer" if m.integer else "float"
        lines.append(f"| {FAMILY_TITLE[m.family]} | `{m.name}` | {m.unit} | {kind} | {m.description} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(metrics_table())
