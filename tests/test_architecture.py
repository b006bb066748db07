"""The README's Architecture section names every part of the kernel, so a new module cannot hide from it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_kernel_module_and_package_is_in_the_architecture_section() -> None:
    text = (ROOT / "README.md").read_text()
    section = re.search(r"<!-- section:architecture -->(.*?)<!-- /section:architecture -->", text, re.S)
    assert section is not None
    parts = {p.stem for p in (ROOT / "statusmon").glob("*.py") if p.stem != "__init__"}
    parts |= {p.name for p in (ROOT / "statusmon").iterdir() if (p / "__init__.py").exists()}
    missing = sorted(p for p in parts if not re.search(rf"\b{re.escape(p)}\b", section.group(1)))
    assert not missing, f"README Architecture does not mention statusmon/{missing}"


def test_import_contracts_cover_every_top_level_package() -> None:
    config = (ROOT / ".importlinter").read_text()
    roots = re.search(r"root_packages =\n((?:    \S+\n)+)", config)
    assert roots is not None
    assert set(roots.group(1).split()) == {"statusmon", "api", "agent", "alerting"}
