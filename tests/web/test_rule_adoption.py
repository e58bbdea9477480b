"""A new credit rule table adopted through the pages alone: the board puts it to the co-op
from the board's page, votes on the proposal page, closes and records the decision on the
convening page, and signs the adoption with that decision back on the board's page."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import httpx
from playwright.sync_api import Page

from tests.web.conftest import Site
from tests.web.member_steps import sign_in


def _entry(told: str, word: str = "entry") -> int:
    found = re.search(rf"{word} (\d+)", told)
    assert found, told
    return int(found.group(1))


def _status(page: Page, region: str) -> str:
    page.locator(f"{region}.ok, {region}.bad").wait_for()
    return page.locator(region).inner_text()


def test_the_board_adopts_a_table_the_co_op_decided(site: Site, page: Page) -> None:
    sign_in(page, site, "steward")
    page.goto("/board")
    page.locator("#board-status.ok").wait_for()
    table = json.loads(page.input_value("#rules-table"))
    assert table["version"] == 2
    table["monthly_cap_per_member"] = 41
    proposed = json.dumps(table, indent=2)
    page.fill("#rules-table", proposed)
    page.fill("#rules-closes", (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))
    page.click("text=Open the co-op's vote on this table")
    told = _status(page, "#board-status")
    assert "vote on rule table version 2 is open" in told, told
    proposal = _entry(told, "proposal")

    page.goto(f"/proposals/{proposal}")
    page.get_by_label("Agree", exact=True).check()
    page.get_by_role("button", name="Sign and cast my ballot").click()
    page.locator("#ballot-result .status.ok").wait_for()

    page.goto("/convene")
    page.locator("#convene-status.ok").wait_for()
    card = page.locator("article", has_text="Adopt credit rule table version 2")
    card.get_by_role("button", name=re.compile("^Close it")).click()
    page.locator("#proposals-status.ok", has_text="is closed").wait_for()
    card = page.locator("article", has_text="Adopt credit rule table version 2")
    card.get_by_label("The outcome statement").fill("Adopted: the monthly cap is now 41.")
    card.get_by_role("button", name="Count and record the decision").click()
    decision = _entry(_status(page, "#proposals-status"))

    page.goto("/board")
    page.locator("#board-status.ok").wait_for()
    page.fill("#rules-table", proposed)
    page.fill("#rules-decision", str(decision))
    page.click("text=Sign the adoption")
    told = _status(page, "#board-status")
    assert "Rule table version 2 is adopted" in told, told
    query = "{ ruleTable { version monthlyCapPerMember decision } }"
    reply = httpx.post(site.url + "/graphql", json={"query": query}).json()
    assert reply["data"]["ruleTable"] == {
        "version": 2,
        "monthlyCapPerMember": 41,
        "decision": decision,
    }
