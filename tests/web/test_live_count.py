"""A proposal page kept open shows the count change when someone else votes, without a reload,
and the close when the convenor closes it."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import Site
from tests.web.member_steps import another_browser, proposal_seq, sign_in
from tests.web.test_groups import OPEN_VOTE

LIVE = 15_000  # ms: three times the page's interval


def test_the_count_and_the_close_reach_a_page_left_open(
    page: Page, site: Site, chromium: Browser
) -> None:
    seq = proposal_seq(site.data, OPEN_VOTE)
    page.goto(f"/proposals/{seq}")
    caption = page.locator("#tally caption")
    expect(caption).to_contain_text("1 ballot(s) counted")
    with another_browser(chromium, site) as voter:
        sign_in(voter, site, "south-data-coop")
        voter.goto(f"/proposals/{seq}")
        voter.get_by_role("button", name="Sign and cast my ballot").click()
        voter.locator("#ballot-result .status.ok").wait_for()
    expect(caption).to_contain_text("2 ballot(s) counted", timeout=LIVE)
    expect(page.locator("#tally .status")).to_contain_text("Count so far (not final)")
    with another_browser(chromium, site) as convenor:
        sign_in(convenor, site, "sutton-books")
        convenor.goto("/convene")
        convenor.locator("#convene-status.ok").wait_for()
        card = convenor.locator("article", has_text=OPEN_VOTE)
        card.get_by_role(
            "button", name=f"Close it now, before its closing time: “{OPEN_VOTE}”"
        ).click()
        convenor.locator("#proposals-status.ok", has_text="is closed").wait_for()
    expect(page.locator("#tally .status")).to_contain_text("Result:", timeout=LIVE)
    expect(page.locator("#ballot-section")).to_be_hidden()
