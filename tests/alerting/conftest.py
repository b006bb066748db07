"""Fixtures shared by the alerting tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.alerting.receiver import Receiver, receiver


@pytest.fixture
def rx() -> Iterator[Receiver]:
    """A real HTTP receiver on loopback for the test."""
    with receiver() as r:
        yield r
