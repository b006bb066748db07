"""The header's live badge says when the shared feed (Redis) is down, and recovers by itself: a real server on
a real redis-server, the built dashboard in Debian's Chromium."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import DESKTOP, ROOT, Browsing
from tests.support.redisd import start_redis
from tests.support.require import require
from tests.support.server import start_server

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_the_live_badge_shows_a_partial_feed_while_redis_is_down_and_recovers(chromium: Any,
                                                                              tmp_path: Path) -> None:
    from playwright.sync_api import expect

    require((ROOT / "api" / "static" / "index.html").exists(), "the built dashboard")
    redis = start_redis(tmp_path / "redis")
    try:
        with start_server(tmp_path / "data", redis_url=redis.url) as srv:
            b = Browsing(chromium, srv, DESKTOP, "desktop")
            try:
                b.login()
                badge = b.page.locator("#live-state")
                expect(badge).to_have_text("live")
                redis.kill()
                expect(badge).to_have_text("live (partial)")
                expect(badge).to_have_attribute("data-state", "degraded")
                b.shot("live-degraded")
                redis.start()
                expect(badge).to_have_text("live")
                expect(badge).to_have_attribute("data-state", "open")
            finally:
                b.close()
            srv.stop(signal.SIGINT)
        assert not b.errors, b.errors
    finally:
        redis.stop()
