"""Reading the dependency lock (requirements/*.txt) and infra/lockstamp.py, for the tests in this folder."""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCK_DIR = ROOT / "requirements"
# each has requirements/<extra>.txt; dev.txt holds all of them + dev
EXTRAS = ("server", "agent", "alerting", "release")
LOCK_FILES = ("dev", *EXTRAS, "build")


def lockstamp() -> ModuleType:
    """infra/lockstamp.py (a script, not a package), loaded as a module."""
    spec = importlib.util.spec_from_file_location("lockstamp", ROOT / "infra" / "lockstamp.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Pin:
    name: str  # canonical
    version: str
    marker: str  # "" when the pin holds everywhere
    hashes: tuple[str, ...]
    line: str


def read_lock(path: Path) -> list[Pin]:
    """Every requirement of a pip requirements file as written by ``uv pip compile --generate-hashes``.

    Fails on anything that is not ``name==version [; marker] --hash=sha256:...``: an unpinned, editable or URL
    requirement, or an option line, would let pip install something CI did not test."""
    text = re.sub(r"\\\n", " ", path.read_text())
    pins = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        head, _, _ = line.partition(" --hash=")
        req = Requirement(head.strip())
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"{path.name}: not pinned: {line[:80]}"
        assert not req.url and not req.extras, f"{path.name}: {line[:80]}"
        hashes = tuple(re.findall(r"--hash=(sha256:[0-9a-f]{64})", line))
        assert hashes, f"{path.name}: {req.name} has no --hash"
        pins.append(Pin(canonicalize_name(req.name), specs[0].version, str(req.marker or ""), hashes, line))
    return pins
