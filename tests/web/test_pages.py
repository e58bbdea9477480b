"""Every page is served with the shared layout, its assets come from this server, and it loads
in Chromium with no script error."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page

from api.web.pages import NAV, ROUTES
from tests.web.conftest import Site
from tests.web.member_steps import sign_in
from tests.web.screenshots import pages, shoot


@pytest.mark.parametrize("path", sorted(ROUTES))
def test_every_page_is_served_with_the_layout(site: Site, path: str) -> None:
    reply = httpx.get(site.url + path)
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in reply.headers["content-security-policy"]
    html = reply.text
    assert '<main id="main"' in html
    assert all(f'href="{href}"' in html for href, _ in NAV)
    assert "http://" not in html.replace(site.url, "") and "https://" not in html


def test_the_stylesheet_and_scripts_are_served_by_us(site: Site) -> None:
    assert httpx.get(site.url + "/static/css/site.css").status_code == 200
    assert httpx.get(site.url + "/static/js/home.js").status_code == 200
    assert httpx.get(site.url + "/static/js/nothing.js").status_code == 404


def test_the_home_page_shows_the_log_in_chromium(page: Page, site: Site) -> None:
    page.goto("/")
    size = page.locator("#log-size")
    size.filter(has_not_text="…").wait_for()
    assert int(size.inner_text().replace(",", "")) >= 112
    assert page.locator("#log-origin").inner_text() == site.config.origin
    assert page.locator('nav a[aria-current="page"]').inner_text() == "Home"


def test_the_screenshot_script_shoots_every_page(page: Page, site: Site, tmp_path: Path) -> None:
    sign_in(page, site, "croydon-print")
    written = shoot(page, tmp_path, site.data)
    assert [p.stem for p in written] == [name for name, _, _ in pages(site.data)]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in written)
