"""The member's pages in Chromium against the demo: the statement with its chart and proof
buttons, a claim signed in one browser and confirmed from the counterparty's queue in another,
refusals and bad input shown plainly, and the claim form by keyboard alone."""

from __future__ import annotations

from datetime import date

import httpx
from playwright.sync_api import Browser, Page

from tests.web.conftest import Site
from tests.web.member_steps import another_browser, log_size, sign_in

FIRST_PAINT = """() => ({
  paint: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null,
  statement: performance.getEntriesByName("statement-shown")[0]?.startTime ?? null,
})"""


def _balance(page: Page) -> int:
    page.goto("/member")
    page.locator("#member-status.ok").wait_for()
    return int(page.locator("#balance").inner_text().split()[0])


def _claim(page: Page, activity: str, quantity: int, counterparty: str, note: str) -> str:
    page.goto("/claim")
    page.locator("#claim-form").wait_for()
    page.select_option("#activity", activity)
    page.fill("#quantity", str(quantity))
    page.select_option("#counterparty", counterparty)
    page.fill("#description", note)
    page.click("text=Sign and send the claim")
    page.locator("#claim-status.ok, #claim-status.bad").wait_for()
    return page.locator("#claim-status").inner_text()


def test_the_statement_page_shows_balance_chart_and_proof_buttons(site: Site, page: Page) -> None:
    sign_in(page, site, "croydon-print")
    _balance(page)
    page.locator("#statement table").wait_for()
    rows = page.locator("#statement tbody tr")
    assert rows.count() >= 1
    buttons = page.locator("#statement button[data-prove-seq]")
    assert buttons.count() == rows.count()
    assert buttons.first.inner_text() == "Prove it"
    assert (
        buttons.first.get_attribute("data-prove-seq") == rows.first.locator("td").first.inner_text()
    )
    page.locator("#chart svg").wait_for()
    months = page.locator("#chart table tbody tr")
    assert months.count() == 12
    assert months.last.locator("td").first.inner_text() == date.today().strftime("%b %Y").replace(
        "Sep ", "Sept "
    )
    assert int(page.locator("#standing").inner_text().split()[0]) >= 0
    timing = page.evaluate(FIRST_PAINT)
    print(
        f"\nmember page: first contentful paint {timing['paint']:.0f} ms, "
        f"statement shown {timing['statement']:.0f} ms after navigation start"
    )


def test_a_claim_is_confirmed_from_the_counterpartys_queue(
    site: Site, page: Page, chromium: Browser
) -> None:
    sign_in(page, site, "croydon-print")
    before = _balance(page)
    merton = page.locator("#who")  # the claimant's page stays open
    assert merton.inner_text() == "Signed in as croydon-print"
    status = _claim(page, "mentoring.hour", 2, "m-4b70ede7e1", "Two hours on pricing, 4 Dec")
    assert status.startswith("Claim sent: entry ")
    claim = int(status.split("entry ")[1].split()[0])
    with another_browser(chromium, site) as other:
        sign_in(other, site, "merton-care")
        other.goto("/member")
        confirm = other.get_by_role("button", name=f"Confirm claim {claim} by croydon-print")
        confirm.click()
        other.locator("#queue-status.ok").wait_for()
        assert (
            f"Confirmed: 4 credits to croydon-print for claim {claim}"
            in other.locator("#queue-status").inner_text()
        )
        assert confirm.count() == 0
    assert _balance(page) == before + 4
    page.locator("#statement tbody tr").first.locator("td").nth(4).filter(has_text="+4").wait_for()


def test_a_claim_is_declined_from_the_counterpartys_queue_with_its_reason(
    site: Site, page: Page, chromium: Browser
) -> None:
    sign_in(page, site, "croydon-print")
    status = _claim(page, "mentoring.hour", 1, _member_id(site, "sutton-books"), "An hour, 2 Dec")
    claim = int(status.split("entry ")[1].split()[0])
    with another_browser(chromium, site) as other:
        sign_in(other, site, "sutton-books")
        other.goto("/member")
        reason = other.get_by_label(f"Reason to decline claim {claim} by croydon-print")
        reason.select_option("wrong_details")
        other.get_by_role("button", name=f"Decline claim {claim} by croydon-print").click()
        other.locator("#queue-status.ok", has_text=f"Declined claim {claim}").wait_for()
        assert "The details are wrong" in other.locator("#queue-status").inner_text()
        assert reason.count() == 0
    query = "query ($s: Int!) { claim(seq: $s) { status closedBy } }"
    reply = httpx.post(site.url + "/graphql", json={"query": query, "variables": {"s": claim}})
    declined = reply.json()["data"]["claim"]
    assert declined["status"] == "declined" and declined["closedBy"] > claim


def _member_id(site: Site, handle: str) -> str:
    query = "query ($h: String!) { member(handle: $h) { id } }"
    reply = httpx.post(site.url + "/graphql", json={"query": query, "variables": {"h": handle}})
    found: str = reply.json()["data"]["member"]["id"]
    return found


def test_a_refusal_and_bad_input_are_shown_plainly_and_change_nothing(
    site: Site, page: Page
) -> None:
    sign_in(page, site, "croydon-print")
    size = log_size(site)
    status = _claim(page, "mentoring.hour", 5, "m-4b70ede7e1", "five hours at once")
    assert status.startswith(
        "The claim was refused, and nothing was logged: over the per_pair_month cap"
    )
    assert "allows 8 credits" in status and "this needs 10" in status
    page.fill("#quantity", "0")
    page.click("text=Sign and send the claim")
    page.locator("#claim-status.bad").filter(has_text="whole number from 1 to 1000").wait_for()
    assert page.locator("#quantity").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "quantity"
    page.fill("#quantity", "1")
    page.select_option("#counterparty", "")
    page.click("text=Sign and send the claim")
    page.locator("#claim-status.bad").filter(has_text="Choose the other member").wait_for()
    assert log_size(site) == size


def _tab_to(page: Page, target: str) -> None:
    """Press Tab (only) until the element ``target`` (an id, or a button's text) has focus."""
    for _ in range(12):
        page.keyboard.press("Tab")
        if target in page.evaluate(
            "[document.activeElement.id, document.activeElement.textContent]"
        ):
            return
    raise AssertionError(f"Tab never reached {target!r}")


def test_the_claim_form_works_by_keyboard_alone(site: Site, page: Page) -> None:
    sign_in(page, site, "merton-care")
    page.goto("/claim")
    page.locator("#claim-form").wait_for()
    size = log_size(site)
    _tab_to(page, "activity")
    page.keyboard.type("Mentor")
    assert page.locator("#activity").input_value() == "mentoring.hour"
    _tab_to(page, "quantity")
    page.keyboard.press("Control+A")
    page.keyboard.type("1")
    _tab_to(page, "counterparty")  # past the date, today already
    page.keyboard.type("sutton")
    assert page.locator("#counterparty").input_value().startswith("m-")
    _tab_to(page, "description")
    page.keyboard.type("An hour on a tender, by keyboard")
    _tab_to(page, "Sign and send the claim")
    page.keyboard.press("Enter")
    page.locator("#claim-status.ok").wait_for()
    assert "Claim sent" in page.locator("#claim-status").inner_text()
    assert log_size(site) == size + 1
