"""The convenor's page in Chromium against the demo: a session register with one award per
attendee, a variable claim approved and another declined, a proposal opened, its not-voted
list, closed and decided; bad input refused with nothing appended; who may not use the page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from playwright.sync_api import Browser, Page

from tests.web.conftest import Site
from tests.web.member_steps import another_browser, log_size, sign_in

CONVENOR = "sutton-books"  # convenes business-services in the demo
GROUP = "business-services"


def _ask(site: Site, query: str, **variables: Any) -> dict[str, Any]:
    reply = httpx.post(site.url + "/graphql", json={"query": query, "variables": variables}).json()
    assert "errors" not in reply, reply
    data: dict[str, Any] = reply["data"]
    return data


def _id(site: Site, handle: str) -> str:
    member: str = _ask(site, "query ($h: String!) { member(handle: $h) { id } }", h=handle)[
        "member"
    ]["id"]
    return member


def _entry(told: str) -> int:
    """The entry number a status message names ("... entry 118 ...")."""
    found = re.search(r"entry (\d+)", told)
    assert found, told
    return int(found.group(1))


def _convene(page: Page, site: Site, handle: str = CONVENOR) -> None:
    sign_in(page, site, handle)
    page.goto("/convene")
    page.locator("#convene-status.ok").wait_for()


def test_a_register_awards_every_attendee_ticked(site: Site, page: Page) -> None:
    _convene(page, site)
    page.select_option("#register-group", GROUP)
    page.select_option("#register-activity", "workshop.attended")
    page.fill("#register-title", "Tendering for small suppliers")
    page.click("text=Tick everyone in the group")
    ticked = page.locator('input[name="attendee"]:checked')
    attendees = sorted(ticked.evaluate_all("(boxes) => boxes.map((b) => b.value)"))
    assert attendees and _id(site, CONVENOR) not in attendees
    size = log_size(site)
    page.click("text=Sign the register and its awards")
    result = page.locator("#register-result.ok")
    result.wait_for()
    n = len(attendees)
    assert f"{n} of {n} awarded 2 credits each" in result.inner_text()
    assert log_size(site) == size + 1 + n
    session = _ask(site, "query ($s: Int!) { session(seq: $s) { attendees title group } }", s=size)
    assert session["session"] == {
        "attendees": attendees,
        "title": "Tendering for small suppliers",
        "group": GROUP,
    }
    query = "query ($s: Int!) { award(seq: $s) { member credits basis basisSeq } }"
    awarded = [_ask(site, query, s=seq)["award"] for seq in range(size + 1, size + 1 + n)]
    assert sorted(a["member"] for a in awarded) == attendees
    assert {(a["credits"], a["basis"], a["basisSeq"]) for a in awarded} == {(2, "session", size)}


def test_a_register_without_attendees_or_title_changes_nothing(site: Site, page: Page) -> None:
    _convene(page, site)
    size = log_size(site)
    page.click("text=Sign the register and its awards")
    page.locator("#register-result.bad", has_text="Give the session a title").wait_for()
    page.fill("#register-title", "Nobody came")
    page.click("text=Sign the register and its awards")
    page.locator("#register-result.bad", has_text="Tick at least one member").wait_for()
    assert log_size(site) == size


def _claim_facilitated(page: Page, note: str) -> int:
    page.goto("/claim")
    page.locator("#claim-form").wait_for()
    page.select_option("#activity", "workshop.facilitated")
    page.fill("#quantity", "1")
    page.select_option("#group", GROUP)
    page.fill("#description", note)
    page.click("text=Sign and send the claim")
    page.locator("#claim-status.ok").wait_for()
    return _entry(page.locator("#claim-status").inner_text())


def test_the_convenor_approves_one_claim_and_declines_another(
    site: Site, page: Page, chromium: Browser
) -> None:
    with another_browser(chromium, site) as member:
        sign_in(member, site, "croydon-print")
        approved = _claim_facilitated(member, "ran the tendering workshop")
        declined = _claim_facilitated(member, "ran the same workshop again")
    _convene(page, site)
    row = page.locator("#claims tbody tr", has_text=str(approved)).first
    assert "workshop.facilitated" in row.inner_text()
    page.get_by_role("button", name=f"Approve claim {approved} by croydon-print").click()
    page.locator("#claims-status.ok", has_text=f"Claim {approved} approved: 6 credits").wait_for()
    page.get_by_label(f"Reason to decline claim {declined} by croydon-print").select_option(
        "duplicate"
    )
    page.get_by_role("button", name=f"Decline claim {declined} by croydon-print").click()
    page.locator("#claims-status.ok", has_text=f"Claim {declined} declined").wait_for()
    query = "query ($s: Int!) { claim(seq: $s) { status } }"
    assert _ask(site, query, s=approved)["claim"]["status"] == "awarded"
    assert _ask(site, query, s=declined)["claim"]["status"] == "declined"
    assert (
        page.get_by_role("button", name=f"Approve claim {approved} by croydon-print").count() == 0
    )


def _local(moment: datetime) -> str:
    """``moment`` as a datetime-local input's value in the browser's zone (UTC here)."""
    return moment.strftime("%Y-%m-%dT%H:%M")


def test_a_proposal_is_opened_watched_closed_and_decided(site: Site, page: Page) -> None:
    _convene(page, site)
    page.select_option("#propose-group", GROUP)
    page.fill("#propose-title", "Meet the buyer in spring")
    page.fill("#propose-text", "Hold a meet-the-buyer event with two councils in April.")
    page.select_option("#propose-method", "proposal")
    assert page.locator("#options-field").is_hidden()
    page.fill("#propose-closes", _local(datetime.now(UTC) + timedelta(days=7)))
    page.click("text=Sign and open the proposal")
    page.locator("#propose-result.ok").wait_for()
    seq = _entry(page.locator("#propose-result").inner_text())
    proposal = _ask(site, "query ($s: Int!) { proposal(seq: $s) { electorate } }", s=seq)
    electorate = proposal["proposal"]["electorate"]
    card = page.locator("article", has_text="Meet the buyer in spring")
    assert f"0 of {len(electorate)} have voted" in card.inner_text()
    assert "Not voted yet: " in card.inner_text() and CONVENOR in card.inner_text()

    name = "Close it now, before its closing time: “Meet the buyer in spring”"
    card.get_by_role("button", name=name).click()
    page.locator("#proposals-status.ok", has_text="is closed").wait_for()
    card = page.locator("article", has_text="Meet the buyer in spring")
    card.get_by_label("The outcome statement").fill("Not decided: nobody voted before the close.")
    card.get_by_role("button", name="Count and record the decision").click()
    page.locator("#proposals-status.ok", has_text="is recorded").wait_for()
    decided = _ask(
        site, "query ($s: Int!) { proposal(seq: $s) { status decision { statement } } }", s=seq
    )
    assert decided["proposal"] == {
        "status": "decided",
        "decision": {"statement": "Not decided: nobody voted before the close."},
    }
    assert page.locator("article", has_text="Meet the buyer in spring").count() == 0


def test_a_proposal_with_bad_rules_is_refused_and_changes_nothing(site: Site, page: Page) -> None:
    _convene(page, site)
    size = log_size(site)
    page.fill("#propose-title", "Pick a venue")
    page.fill("#propose-text", "Where should we meet?")
    page.select_option("#propose-method", "single")
    page.fill("#propose-options", "Only one place")
    page.fill("#propose-closes", _local(datetime.now(UTC) + timedelta(days=3)))
    page.click("text=Sign and open the proposal")
    page.locator("#propose-result.bad", has_text="at least two options").wait_for()
    page.fill("#propose-options", "Brixton\nPeckham")
    page.fill("#propose-quorum", "three quarters")
    page.click("text=Sign and open the proposal")
    page.locator("#propose-result.bad", has_text="not opened").wait_for()
    assert log_size(site) == size


def test_the_page_is_refused_to_a_member_who_convenes_nothing(site: Site, page: Page) -> None:
    sign_in(page, site, "croydon-print")
    page.goto("/convene")
    page.locator("#convene-status.bad", has_text="you convene no working group").wait_for()
    assert page.locator("#convene").is_hidden()
