"""The reports page in Chromium: totals by each dimension as GraphQL gives them, the
distribution, and the social value report, each table downloadable as CSV."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.web.conftest import Site


def _totals(site: Site, dimension: str) -> list[tuple[str, int]]:
    query = f"{{ totals(dimension: {dimension}, first: 100) {{ nodes {{ key credits }} }} }}"
    reply = httpx.post(site.url + "/graphql", json={"query": query}).json()
    return [(t["key"], t["credits"]) for t in reply["data"]["totals"]["nodes"]]


def test_totals_by_each_dimension_match_the_api_and_download_as_csv(page: Page, site: Site) -> None:
    page.goto("/reports")
    rows = page.locator("#totals tbody tr")
    for dimension in ("GROUP", "BOROUGH", "MONTH"):
        page.locator("#dimension").focus()
        page.select_option("#dimension", dimension)
        expected = _totals(site, dimension)
        expect(rows).to_have_count(len(expected))
        shown = [tuple(r.split("\t")) for r in rows.all_inner_texts()]
        assert [(k, int(c)) for k, c in shown] == expected
        with page.expect_download() as download:
            page.locator("#totals a[download]").click()
        text = download.value.path().read_text(encoding="utf-8")
        assert text.splitlines()[1:] == [f"{k},{c}" for k, c in expected]


def test_distribution_and_social_value_are_shown(page: Page) -> None:
    page.goto("/reports")
    expect(page.locator("#distribution")).to_contain_text("Gini coefficient")
    expect(page.locator("#social")).to_contain_text("exact at checkpoint")
    year, quarter = page.evaluate(
        "[new Date().getUTCFullYear(), Math.floor(new Date().getUTCMonth() / 3) + 1]"
    )
    link = page.locator("#social a[download]")
    expect(link).to_have_attribute("download", f"social-value-{year}-Q{quarter}.csv")
