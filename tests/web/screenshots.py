"""Screenshots of every page, on the demo ledger, into docs/screenshots/ (shown in the README).

``python -m tests.web.screenshots [--out docs/screenshots]``: builds the demo in a temporary
folder, serves it on loopback, signs in as the demo member croydon-print in headless Chromium
and saves one PNG per page, 1100 pixels wide; then the board's page (signed in as the steward,
with an invitation made), the key page as that invitation's link opens it, and the convenor's
page (signed in as business-services' convenor).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from api.app import create_app
from api.demo_script import run_demo
from api.settings import ApiSettings
from ledger.config import Settings, load_config
from tests.api.live import served_in_thread
from tests.web.conftest import Site, chromium_path
from tests.web.member_steps import proposal_seq, sign_in


def pages(data: Path) -> list[tuple[str, str, str]]:
    """(file name, path, what to wait for) of each page shown."""
    return [
        ("home", "/", "#log-size:not(:empty)"),
        ("member", "/member", "#statement table"),
        ("claim", "/claim", "#claim-form"),
        ("groups", "/groups", "#groups table"),
        ("group", "/groups/business-services", "#group-terms pre"),
        ("proposal-open", f"/proposals/{proposal_seq(data, 'workshop series')}", "ol.ranking"),
        ("proposal-decided", f"/proposals/{proposal_seq(data, 'Priorities')}", "#transcript li"),
        ("reports", "/reports", "#social table"),
        ("auditor", "/auditor", "main"),
    ]


def shoot(page: Page, out: Path, data: Path) -> list[Path]:
    written = []
    for name, path, ready in pages(data):
        page.goto(path)
        page.locator(ready).first.wait_for()
        page.wait_for_timeout(300)  # let the last fetches settle
        target = out / f"{name}.png"
        page.screenshot(path=str(target), full_page=True)
        written.append(target)
    return written


def shoot_board(browser: Browser, site: Site, out: Path) -> list[Path]:
    """The board's page with one invitation made, the key page its link opens, and the
    convenor's page."""
    size = {"width": 1100, "height": 800}
    board = browser.new_context(base_url=site.url, viewport=size).new_page()
    sign_in(board, site, "steward")
    board.goto("/board")
    board.locator("#board-status.ok").wait_for()
    board.fill("#invite-kind", "charity")
    board.fill("#invite-borough", "Lambeth")
    board.fill("#invite-handle", "brixton-bakes")
    board.fill("#invite-name", "Brixton Bakes CIC")
    board.click("text=Make the invitation")
    board.locator("#invite-made").wait_for()
    board.wait_for_timeout(300)
    link = board.input_value("#invite-link")
    board.screenshot(path=str(out / "board.png"), full_page=True)
    invitee = browser.new_context(viewport=size).new_page()
    invitee.goto(link)
    invitee.locator("#invitation:not([hidden])").wait_for()
    invitee.wait_for_timeout(300)
    invitee.screenshot(path=str(out / "join-invitation.png"), full_page=True)
    convenor = browser.new_context(base_url=site.url, viewport=size).new_page()
    sign_in(convenor, site, "sutton-books")
    convenor.goto("/convene")
    convenor.locator("#convene-status.ok").wait_for()
    convenor.wait_for_timeout(300)
    convenor.screenshot(path=str(out / "convene.png"), full_page=True)
    return [out / "board.png", out / "join-invitation.png", out / "convene.png"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    executable = chromium_path()
    if executable is None:
        raise SystemExit("screenshots need Chromium (apt install chromium)")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        asyncio.run(run_demo(Settings(data=data)))
        config = load_config(Settings(data=data))
        with served_in_thread(create_app(config=config, api_settings=ApiSettings())) as url:
            site = Site(url, data, config)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=executable)
                context = browser.new_context(base_url=url, viewport={"width": 1100, "height": 800})
                page = context.new_page()
                sign_in(page, site, "croydon-print")
                for path in [*shoot(page, args.out, data), *shoot_board(browser, site, args.out)]:
                    print(path)
                browser.close()


if __name__ == "__main__":
    main()
