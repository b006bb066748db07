"""Browser tests: the built dashboard served by a real `statusmon server`, driven in Debian's Chromium.

Screenshots land in test-artifacts/e2e/ (git-ignored), at desktop and phone widths.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.require import require, require_executable
from tests.support.server import ADMIN_PASSWORD, ServerProcess, start_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions"]
DESKTOP = {"width": 1366, "height": 860}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    path = require_executable("chromium", CHROMIUM)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "the playwright Python package")
        raise
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    require((ROOT / "api" / "static" / "index.html").exists(),
            "the built dashboard (npm --prefix dashboards/web ci && npm --prefix dashboards/web run build)")
    with start_server(tmp_path_factory.mktemp("e2e"), report_rate_per_minute="100000",
                      login_rate_per_minute="1000") as srv:
        yield srv
        srv.stop(signal.SIGINT)  # quick: open WebSockets would hold a graceful shutdown for 10 s


class Browsing:
    """A browser context (desktop or phone) with console errors collected and a screenshot helper."""

    def __init__(self, browser: Any, server: ServerProcess, viewport: dict[str, int], name: str):
        self.server = server
        self.name = name
        self.context = browser.new_context(viewport=viewport, base_url=server.url,
                                           is_mobile=viewport["width"] < 500, has_touch=viewport["width"] < 500)
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        # With the URL: "Failed to load resource: 401" alone does not say which request failed.
        self.page.on("console", lambda m: self.errors.append(f"{m.text} [{m.location.get('url', '')}]")
                     if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def login(self, password: str = ADMIN_PASSWORD) -> None:
        self.page.goto("/login")
        self.page.get_by_label("Admin password").fill(password)
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_url(lambda url: "/login" not in url)

    def shot(self, what: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{what}-{self.name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def desktop(chromium: Any, server: ServerProcess) -> Iterator[Browsing]:
    b = Browsing(chromium, server, DESKTOP, "desktop")
    yield b
    b.close()
    assert not b.errors, f"errors in the browser console: {b.errors}"


@pytest.fixture
def phone(chromium: Any, server: ServerProcess) -> Iterator[Browsing]:
    b = Browsing(chromium, server, PHONE, "phone")
    yield b
    b.close()
    assert not b.errors, f"errors in the browser console: {b.errors}"
