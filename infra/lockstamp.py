"""What the dependency lock (requirements/*.txt) was generated from, as one hash (standard library only).

    python3 infra/lockstamp.py stamp            # sha256 of the dependency-relevant parts of setup.cfg + pyproject
    python3 infra/lockstamp.py build-requires   # pyproject.toml's [build-system] requires, one a line

infra/lock.sh writes ``# statusmon-lock-stamp: sha256=...`` at the top of every lock file; tests/install/test_lock.py
recomputes it and fails when setup.cfg changed and the lock did not. Only what decides the resolution goes in:
python_requires, install_requires, every extra and the build requirements, each requirement without whitespace
and sorted. Comments, metadata and tool settings can change without a refresh.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAMP_PREFIX = "# statusmon-lock-stamp: sha256="


def _lines(value: str) -> list[str]:
    out = []
    for line in value.splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith(("#", ";")):
            out.append(line)
    return out


def _canonical(requirement: str) -> str:
    return re.sub(r"\s+", "", requirement).lower()


def read_setup_cfg(root: Path = ROOT) -> configparser.ConfigParser:
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(root / "setup.cfg", encoding="utf-8")
    return cfg


def extras(root: Path = ROOT) -> dict[str, list[str]]:
    """setup.cfg's extras_require: extra name -> its requirements, as written."""
    cfg = read_setup_cfg(root)
    section = cfg["options.extras_require"] if cfg.has_section("options.extras_require") else {}
    return {name: _lines(value) for name, value in section.items()}


def install_requires(root: Path = ROOT) -> list[str]:
    return _lines(read_setup_cfg(root).get("options", "install_requires", fallback=""))


def python_requires(root: Path = ROOT) -> str:
    return read_setup_cfg(root).get("options", "python_requires", fallback="").strip()


def build_requires(root: Path = ROOT) -> list[str]:
    """pyproject.toml's [build-system] requires (tomllib on 3.11+, a plain reading of the one list on 3.10)."""
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the file holds only [build-system], one `requires = [...]`
        found = re.search(r"^requires\s*=\s*\[(.*?)\]", text, re.M | re.S)
        return re.findall(r"[\"']([^\"']+)[\"']", found.group(1)) if found else []
    return list(tomllib.loads(text).get("build-system", {}).get("requires", []))


def stamp(root: Path = ROOT) -> str:
    spec = {
        "python_requires": python_requires(root),
        "install_requires": sorted(_canonical(r) for r in install_requires(root)),
        "extras_require": {k: sorted(_canonical(r) for r in v) for k, v in sorted(extras(root).items())},
        "build_requires": sorted(_canonical(r) for r in build_requires(root)),
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def stamp_of(lock_text: str) -> str | None:
    """The stamp a lock file carries, or None."""
    for line in lock_text.splitlines():
        if line.startswith(STAMP_PREFIX):
            return line[len(STAMP_PREFIX):].split()[0]
    return None


def main(argv: list[str]) -> int:
    what = argv[1] if len(argv) > 1 else "stamp"
    if what == "stamp":
        print(stamp())
    elif what == "build-requires":
        print("\n".join(build_requires()))
    else:
        print(f"usage: {argv[0]} stamp|build-requires", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
