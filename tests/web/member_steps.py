"""Steps the pages' browser tests share: a second browser context, importing a key file and
signing in, reading the log's size, finding a demo proposal by its title."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page

from tests.web.conftest import Site

PASSPHRASE = "a passphrase long enough"


@contextmanager
def another_browser(chromium: Browser, site: Site) -> Iterator[Page]:
    """A page in a context of its own (its own IndexedDB), failing on any script error."""
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


def sign_in(page: Page, site: Site, handle: str) -> str:
    """Import the demo member's key file on the key page and sign in; returns the status."""
    page.goto("/join")
    page.set_input_files("#import-file", str(site.member_key(handle)))
    page.fill("#import-passphrase", PASSPHRASE)
    page.click("text=Import the key")
    page.locator("#key-status.ok").wait_for()
    return page.locator("#key-status").inner_text()


def log_size(site: Site) -> int:
    """The log's size now, from its checkpoint."""
    return int(httpx.get(site.url + "/checkpoint").text.split("\n")[1])


def proposal_seq(data: Path, title: str) -> int:
    """The seq of the demo proposal whose opening carries ``title``, in the data folder."""
    with sqlite3.connect(data / "ledger.db") as db:
        rows = db.execute(
            "SELECT seq, body FROM entries WHERE kind = 'governance.proposal.opened'"
        ).fetchall()
    db.close()
    return next(seq for seq, body in rows if title.encode() in body)
