"""Integration tests may skip on a laptop that lacks InfluxDB or Chromium, loudly; in CI a skip is a failure."""

from __future__ import annotations

import os
import shutil
import warnings

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, what: str) -> None:
    """Skip (with a warning) when ``condition`` is false, or fail when running in CI."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"{what} is required in CI (CI=true), but it is missing", pytrace=False)
    warnings.warn(f"SKIPPING: {what} is missing on this machine", stacklevel=2)
    pytest.skip(f"{what} is missing (this would fail in CI)")


def require_executable(name: str, path: str | None = None) -> str:
    found = path if path and os.path.exists(path) else shutil.which(name)
    require(found is not None, f"the executable {path or name!r}")
    assert found is not None
    return found
