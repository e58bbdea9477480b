"""The working groups' pages in Chromium: groups, a group's members, proposals and terms, a
decided proposal's result and transcript, and the ranked ballot of an open one by keyboard."""

from __future__ import annotations

import base64
import json
import sqlite3

from nacl.public import PrivateKey, SealedBox
from playwright.sync_api import Page, expect

from ledger.encoding import canonical_json
from tests.web.conftest import Site
from tests.web.member_steps import log_size, proposal_seq, sign_in

OPEN_VOTE = "Next quarter's workshop series"


def _seq_of(site: Site, title: str) -> int:
    return proposal_seq(site.data, title)


def test_the_groups_page_lists_every_working_group(page: Page) -> None:
    page.goto("/groups")
    table = page.locator("#groups table")
    expect(table.locator("tbody tr")).to_have_count(5)
    expect(table).to_contain_text("Markets, Data, Trust and Participation")
    expect(table).to_contain_text("sutton-books")  # a convenor, by handle
    page.get_by_role("link", name="Business Services").click()
    expect(page).to_have_url(f"{page.url.split('/groups')[0]}/groups/business-services")


def test_a_group_page_shows_members_proposals_and_terms(page: Page) -> None:
    page.goto("/groups/business-services")
    expect(page.locator("h1")).to_have_text("Business Services")
    members = page.locator("#group-members tbody tr")
    expect(members).to_have_count(4)
    expect(page.locator("#group-members")).to_contain_text("Convenor")
    expect(page.locator("#group-proposals")).to_contain_text("Adopt the model terms of reference")
    expect(page.locator("#group-proposals")).to_contain_text(OPEN_VOTE)
    expect(page.locator("#group-terms")).to_contain_text("Version 1, adopted by decision")
    expect(page.locator("#group-terms pre")).to_contain_text("one member, one vote")


def test_an_unknown_group_is_said_plainly(page: Page) -> None:
    page.goto("/groups/no-such-group")
    expect(page.locator("#group-status")).to_contain_text("There is no working group")


def test_a_decided_ranked_vote_shows_its_result_rounds_and_statement(
    page: Page, site: Site
) -> None:
    seq = _seq_of(site, "Priorities for the next quarter")
    page.goto(f"/proposals/{seq}")
    expect(page.locator("h1")).to_have_text("Priorities for the next quarter")
    expect(page.locator("#tally .status")).to_have_text(
        "Result: Meet-the-Buyer with three councils wins."
    )
    expect(page.locator("#tally tbody tr")).to_have_count(4)
    rounds = page.locator("#transcript ol.transcript > li")
    expect(rounds).to_have_count(2)
    expect(rounds.nth(1)).to_contain_text("Round 1")
    expect(rounds.nth(1)).to_contain_text("is elected")
    expect(page.locator("#decision")).to_contain_text("We will prioritise Meet-the-Buyer events.")
    assert page.locator("#ballot-section").is_hidden()


def test_the_open_ranked_ballot_is_ordered_by_keyboard_alone(page: Page, site: Site) -> None:
    page.goto(f"/proposals/{_seq_of(site, OPEN_VOTE)}")
    ranking = page.locator("ol.ranking li .rank-name")
    expect(ranking).to_have_count(3)
    expect(page.locator("#tally .status")).to_contain_text("Count so far (not final)")
    first, second, third = ranking.all_inner_texts()
    # Tab to "Move <third> up" and press it twice with the keyboard: it comes first.
    target = page.get_by_role("button", name=f"Move {third} up")
    for _ in range(40):
        page.keyboard.press("Tab")
        if target.evaluate("b => b === document.activeElement"):
            break
    else:
        raise AssertionError("Tab never reached the Move up button")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # the focus stays on the moved option's button
    expect(ranking).to_have_text([third, first, second])
    page.keyboard.press("Shift+Tab")  # to nothing that moves; then leave the last one out
    page.get_by_role("button", name=f"Leave {second} out of your ranking").press("Enter")
    expect(ranking).to_have_text([third, first])
    expect(page.locator("ul.unranked .rank-name")).to_have_text([second])
    expect(page.locator("p[aria-live=assertive]")).to_contain_text(f"{second} left out")


def test_the_ranked_ballot_can_be_ordered_by_dragging(page: Page, site: Site) -> None:
    page.goto(f"/proposals/{_seq_of(site, OPEN_VOTE)}")
    ranking = page.locator("ol.ranking li")
    expect(ranking).to_have_count(3)
    names = page.locator("ol.ranking li .rank-name")
    first, second, third = names.all_inner_texts()
    ranking.nth(2).drag_to(ranking.nth(0))
    expect(names).to_have_text([third, first, second])


def test_a_member_signs_in_and_casts_a_ranked_ballot_by_keyboard(page: Page, site: Site) -> None:
    sign_in(page, site, "croydon-print")
    seq = _seq_of(site, OPEN_VOTE)
    page.goto(f"/proposals/{seq}")
    expect(page.locator("#tally caption")).to_contain_text("1 ballot(s) counted")
    names = page.locator("ol.ranking li .rank-name")
    first, second, third = names.all_inner_texts()
    page.get_by_role("button", name=f"Move {second} up").focus()
    page.keyboard.press("Enter")
    expect(names).to_have_text([second, first, third])
    submit = page.get_by_role("button", name="Sign and cast my ballot")
    submit.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#ballot-result .status.ok")).to_contain_text("Your ballot is on the log")
    expect(page.locator("#tally caption")).to_contain_text("2 ballot(s) counted")
    with sqlite3.connect(site.data / "ledger.db") as db:
        (body,) = db.execute(
            "SELECT body FROM entries WHERE kind = 'governance.vote.cast' ORDER BY seq DESC"
        ).fetchone()
    db.close()
    statement = json.loads(body)["statement"]
    assert statement["body"] == {"proposal": seq, "ballot": {"ranking": [1, 0, 2]}}


def test_a_ballot_that_the_method_refuses_changes_nothing(page: Page, site: Site) -> None:
    sign_in(page, site, "croydon-print")
    page.goto(f"/proposals/{_seq_of(site, OPEN_VOTE)}")
    before = log_size(site)
    for name in page.locator("ol.ranking li .rank-name").all_inner_texts():
        page.get_by_role("button", name=f"Leave {name} out of your ranking").click()
    page.get_by_role("button", name="Sign and cast my ballot").click()
    expect(page.locator("#ballot-result .status.bad")).to_have_text("Rank at least one option.")
    assert log_size(site) == before


def test_a_ballot_sealed_in_the_browser_opens_with_libsodium_on_the_server(page: Page) -> None:
    page.goto("/groups")
    private = PrivateKey.generate()
    proposal = {"seq": 41, "sealKey": base64.b64encode(bytes(private.public_key)).decode()}
    ballot = {"ranking": [2, 0], "note": "Café ☕"}
    sealed = page.evaluate(
        """async ([proposal, ballot]) => {
            const { sealBallot } = await import("/static/js/seal.js");
            return sealBallot(proposal, "m-7970cc879d", ballot);
        }""",
        [proposal, ballot],
    )
    opened = SealedBox(private).decrypt(base64.b64decode(sealed))
    assert opened == canonical_json({"ballot": ballot, "member": "m-7970cc879d", "proposal": 41})
