"""The install layout on a host, and the operations that change it.

    <root>/releases/<version>/   one venv per release (``bin/statusmon``)
    <root>/current -> releases/<version>   what the service runs; switched atomically (symlink + rename)
    <root>/trusted/root.json     the TUF root pinned at install (trust starts here)
    <root>/state/                tuf/ (metadata cache), downloads/, failed.json, update.lock
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path


class Layout:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.releases = self.root / "releases"
        self.current = self.root / "current"
        self.pinned_root = self.root / "trusted" / "root.json"
        self.state = self.root / "state"
        self.metadata = self.state / "tuf"
        self.downloads = self.state / "downloads"
        self.failed_path = self.state / "failed.json"
        self.lock_path = self.state / "update.lock"

    def current_version(self) -> str | None:
        try:
            return Path(os.readlink(self.current)).name
        except OSError:
            return None

    def release_dir(self, version: str) -> Path:
        return self.releases / version

    def switch(self, version: str) -> None:
        """Point ``current`` at ``releases/<version>`` in one rename: the service sees the old or the new."""
        tmp = self.root / f".current.{os.getpid()}"
        if tmp.is_symlink():
            tmp.unlink()
        os.symlink(Path("releases") / version, tmp)
        os.replace(tmp, self.current)
        fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def failed(self) -> set[str]:
        try:
            return set(json.loads(self.failed_path.read_text()))
        except (OSError, ValueError):
            return set()

    def add_failed(self, version: str) -> None:
        versions = sorted(self.failed() | {version})
        tmp = self.failed_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(versions))
        os.replace(tmp, self.failed_path)

    def prune(self, keep: set[str]) -> list[str]:
        """Remove every release directory not in ``keep`` (and any half-installed leftovers)."""
        removed = []
        if self.releases.is_dir():
            for d in self.releases.iterdir():
                if d.name not in keep:
                    shutil.rmtree(d, ignore_errors=True)
                    removed.append(d.name)
        return removed
