"""Browser tests: Debian's Chromium, driven headless by Playwright, against a real server.

The demo ledger is built once per run (``demo_template``); each test module serves its own copy
(``site``), so tests that sign statements do not see each other's. Without Chromium the tests
skip, unless ``COOPLEDGER_REQUIRE_BROWSER`` is set (``.ci/run`` sets it and installs Chromium).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from api.app import create_app
from api.settings import ApiSettings
from ledger.config import (
    DEFAULT_STEWARD_ID,
    STEWARD_KEY_FILE,
    LedgerConfig,
    Settings,
    load_config,
)
from tests.api.live import served_in_thread

CHROMIUM_ENV = "COOPLEDGER_CHROMIUM"
REQUIRE_BROWSER_ENV = "COOPLEDGER_REQUIRE_BROWSER"
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def chromium_path() -> str | None:
    """Chromium's executable: ``$COOPLEDGER_CHROMIUM``, else Debian's, else none."""
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        return named
    return next((p for p in CHROMIUM_PATHS if Path(p).exists()), None)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """A headless Chromium for the whole run (a ``playwright.sync_api.Browser``)."""
    executable = chromium_path()
    if executable is None:
        if os.environ.get(REQUIRE_BROWSER_ENV):
            pytest.fail(f"{REQUIRE_BROWSER_ENV} is set but Chromium is not installed")
        pytest.skip("browser tests need Chromium (apt install chromium chromium-driver)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo community's ledger, built once per run (read-only: copy it to use it)."""
    from api.demo_script import run_demo

    data = tmp_path_factory.mktemp("web-demo") / "data"
    # in a thread of its own: Playwright's loop may already run in this one
    with ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: asyncio.run(run_demo(Settings(data=data)))).result()
    return data


@dataclass(frozen=True)
class Site:
    """A served copy of the demo ledger: its base URL and data directory."""

    url: str
    data: Path
    config: LedgerConfig

    def member_key(self, handle: str) -> Path:
        """The demo member ``handle``'s key file (``coopledger keygen`` format); ``steward``:
        the first steward's, a board member's."""
        if handle == DEFAULT_STEWARD_ID:
            return self.data / STEWARD_KEY_FILE
        return self.data / "members" / f"{handle}.key"


@pytest.fixture(scope="module")
def site(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """This module's own copy of the demo ledger, served on loopback."""
    data = tmp_path_factory.mktemp("web-site") / "data"
    shutil.copytree(demo_template, data)
    config = load_config(Settings(data=data))
    app = create_app(config=config, api_settings=ApiSettings())
    with served_in_thread(app) as url:
        yield Site(url, data, config)


@pytest.fixture
def page(site: Site, chromium: Browser) -> Iterator[Page]:
    """A fresh browser context and page (its own IndexedDB and storage) for one test.

    Any error the page's scripts throw, or any message they log as an error, fails the test.
    """
    context = chromium.new_context(base_url=site.url, viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        yield tab
    finally:
        context.close()
    assert not errors, f"the page's scripts failed: {errors}"
