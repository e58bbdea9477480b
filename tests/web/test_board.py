"""The board's page and the invitation on the key page, in Chromium against the demo: the board
invites, the invitee's own browser makes the key and accepts, the board admits and the new
member signs in; a reversal signed by a second board signer; erasure; a rule table refused
without its decision, naming the digest the page shows; and who may not use the page."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import Browser, Page

from tests.web.conftest import Site
from tests.web.member_steps import PASSPHRASE, another_browser, log_size, sign_in

STEWARD = "steward"


def _ask(site: Site, query: str, **variables: Any) -> dict[str, Any]:
    reply = httpx.post(site.url + "/graphql", json={"query": query, "variables": variables}).json()
    assert "errors" not in reply, reply
    data: dict[str, Any] = reply["data"]
    return data


def _board(page: Page, site: Site) -> None:
    sign_in(page, site, STEWARD)
    page.goto("/board")
    page.locator("#board-status.ok").wait_for()


def _status(page: Page) -> str:
    page.locator("#board-status.ok, #board-status.bad").wait_for()
    return page.locator("#board-status").inner_text()


def _invite(page: Page, handle: str) -> str:
    page.fill("#invite-kind", "charity")
    page.fill("#invite-borough", "Lambeth")
    page.fill("#invite-handle", handle)
    page.fill("#invite-name", "Brixton Bakes CIC")
    page.fill("#invite-email", "hello@example.org")
    page.click("text=Make the invitation")
    page.locator("#invite-made").wait_for()
    assert "Invitation made for " + handle in _status(page)
    return page.input_value("#invite-link")


def test_an_invitee_makes_a_key_in_their_browser_and_the_board_admits_them(
    site: Site, page: Page, chromium: Browser
) -> None:
    _board(page, site)
    link = _invite(page, "brixton-bakes")
    assert re.fullmatch(re.escape(site.url) + r"/join\?invite=[A-Za-z0-9_-]{43}", link)
    row = page.locator("#invitations tbody tr", has_text="brixton-bakes")
    assert "open" in row.inner_text()
    size = log_size(site)
    with another_browser(chromium, site) as invitee:
        invitee.goto(link)
        invitee.locator("#invitation").wait_for()
        assert invitee.locator("#invited-handle").inner_text() == "brixton-bakes"
        assert invitee.locator("#invited-kind").inner_text() == "charity"
        assert invitee.locator("#invited-borough").inner_text() == "Lambeth"
        assert invitee.locator("#accept-invitation").is_hidden()  # no key here yet
        invitee.fill("#create-passphrase", PASSPHRASE)
        invitee.fill("#create-repeat", PASSPHRASE)
        invitee.click("text=Make my key")
        invitee.locator("#key-status.ok").wait_for()
        told = invitee.locator("#key-status").inner_text()
        assert "the board has it with your invitation" in told
        key_id = invitee.locator("#key-id").inner_text()
        assert "with the board" in invitee.locator("#invitation-next").inner_text()
        assert log_size(site) == size  # nothing on the log until the board signs

        page.reload()
        page.locator("#board-status.ok").wait_for()
        row = page.locator("#invitations tbody tr", has_text="brixton-bakes")
        assert "key made" in row.inner_text() and key_id in row.inner_text()
        row.get_by_role("button", name="Admit brixton-bakes").click()
        assert "brixton-bakes is admitted" in _status(page)
        assert log_size(site) == size + 1
        assert "admitted" in row.inner_text()

        invitee.click("#sign-in")
        invitee.locator("#key-status.ok", has_text="Signed in as brixton-bakes").wait_for()
        member = _ask(site, '{ member(handle: "brixton-bakes") { kind borough keys { keyId } } }')
        keys = [{"keyId": key_id}]
        assert member["member"] == {"kind": "charity", "borough": "Lambeth", "keys": keys}
        # the link again, in the same browser, says it is used and signs in
        invitee.goto(link)
        invitee.locator("#key-status.ok", has_text="Signed in as brixton-bakes").wait_for()
        assert "You are admitted" in invitee.locator("#invitation-next").inner_text()


def test_an_invitation_link_used_with_another_key_or_unknown_is_told_plainly(
    site: Site, page: Page, chromium: Browser
) -> None:
    _board(page, site)
    link = _invite(page, "peckham-press")
    with another_browser(chromium, site) as first:
        first.goto(link)
        first.fill("#create-passphrase", PASSPHRASE)
        first.fill("#create-repeat", PASSPHRASE)
        first.click("text=Make my key")
        first.locator("#key-status.ok").wait_for()
    with another_browser(chromium, site) as second:
        second.goto(link)
        second.locator("#invitation").wait_for()
        assert "accepted with another key" in second.locator("#invitation-next").inner_text()
        second.goto("/join?invite=not-a-token-anyone-made")
        second.locator("#key-status.bad").wait_for()
        assert "invitation link is not known" in second.locator("#key-status").inner_text()
        assert second.locator("#invitation").is_hidden()


def test_a_key_made_before_the_link_arrived_accepts_it_by_keyboard(
    site: Site, page: Page, chromium: Browser
) -> None:
    _board(page, site)
    link = _invite(page, "norwood-nursery")
    with another_browser(chromium, site) as invitee:
        invitee.goto("/join")
        invitee.fill("#create-passphrase", PASSPHRASE)
        invitee.fill("#create-repeat", PASSPHRASE)
        invitee.click("text=Make my key")
        invitee.locator("#key-status.bad", has_text="not a member's key yet").wait_for()
        invitee.goto(link)
        accept = invitee.get_by_role("button", name="Accept with the key in this browser")
        accept.focus()
        invitee.keyboard.press("Enter")
        invitee.locator("#key-status.ok", has_text="the board has it").wait_for()
        assert accept.is_hidden()
        key_id = invitee.locator("#key-id").inner_text()
    page.reload()
    page.locator("#board-status.ok").wait_for()
    row = page.locator("#invitations tbody tr", has_text="norwood-nursery")
    assert "key made" in row.inner_text() and key_id in row.inner_text()


def test_the_page_is_refused_to_a_member_not_on_the_board(site: Site, page: Page) -> None:
    sign_in(page, site, "croydon-print")
    page.goto("/board")
    page.locator("#board-status.bad").wait_for()
    assert "you are not on it" in page.locator("#board-status").inner_text()
    assert page.locator("#board").is_hidden()


def _an_award_the_steward_neither_approved_nor_received(site: Site) -> dict[str, Any]:
    query = "query ($s: Int!) { award(seq: $s) { seq member net approver reversedBy } }"
    for seq in range(log_size(site) - 1, 0, -1):
        award = _ask(site, query, s=seq)["award"]
        if award and STEWARD not in (award["member"], award["approver"]) and award["net"] > 0:
            return award
    raise AssertionError("the demo has no award to reverse")


def test_a_second_board_signer_reverses_an_award_once(site: Site, page: Page) -> None:
    award = _an_award_the_steward_neither_approved_nor_received(site)
    _board(page, site)
    page.fill("#reverse-award", str(award["seq"]))
    page.click("text=Find the award")
    assert f"takes back its {award['net']} remaining credits" in _status(page)
    assert award["approver"] in page.locator("#award-facts").inner_text()
    page.select_option("#reverse-reason", "error")
    page.click("text=Sign the reversal")
    assert f"Award {award['seq']} is reversed" in _status(page)
    query = "query ($s: Int!) { award(seq: $s) { net reversedBy } }"
    after = _ask(site, query, s=award["seq"])["award"]
    assert after["net"] == 0 and after["reversedBy"] is not None
    size = log_size(site)
    page.fill("#reverse-award", str(award["seq"]))
    page.click("text=Sign the reversal")
    page.locator("#board-status.bad", has_text="was reversed already").wait_for()
    assert log_size(site) == size


def test_erasing_personal_data_leaves_the_member_by_id_alone(site: Site, page: Page) -> None:
    member = _ask(site, '{ member(handle: "sutton-books") { id } }')["member"]["id"]
    size = log_size(site)
    _board(page, site)
    page.fill("#erase-member", "sutton-books")
    page.click("text=Erase their personal data")
    assert "Tick the box" in _status(page)
    page.check("#erase-sure")
    page.click("text=Erase their personal data")
    assert f"The personal data of {member} is erased" in _status(page)
    shown = _ask(site, "query ($m: String!) { member(id: $m) { handle erased } }", m=member)
    assert shown["member"] == {"handle": None, "erased": True}
    assert _ask(site, '{ member(handle: "sutton-books") { id } }')["member"] is None
    assert log_size(site) == size


def test_a_rule_table_without_its_decision_is_refused_naming_the_digest_shown(
    site: Site, page: Page
) -> None:
    _board(page, site)
    table = page.input_value("#rules-table")
    assert '"version": 2' in table
    digest = page.locator("#rules-digest").inner_text().rsplit(" ", 1)[-1]
    assert re.fullmatch("[0-9a-f]{64}", digest)
    size = log_size(site)
    page.fill("#rules-decision", "1")
    page.click("text=Sign the adoption")
    refusal = _status(page)
    assert "not a passed decision adopting rule table version 2" in refusal
    assert digest in refusal  # the page's canonical digest is the server's
    page.fill("#rules-table", "{not json")
    assert "not JSON" in page.locator("#rules-digest").inner_text()
    page.click("text=Sign the adoption")
    page.locator("#board-status.bad", has_text="not JSON").wait_for()
    assert log_size(site) == size
