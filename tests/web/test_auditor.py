"""The auditor's page in Chromium: the log's key pinned, the latest checkpoint verified and
remembered, witnesses' cosignatures (made by the server's code) checked, an entry proved; and
a tampered proof, a forged checkpoint, a fork and a rollback each refused with a plain message.
A member's "Prove it" button checks a statement line the same way."""

from __future__ import annotations

import base64
import re
import sqlite3

import httpx
from playwright.sync_api import Page, Route, expect

from ledger.checkpoint import parse_checkpoint_body
from ledger.cosignature import Cosigner, with_cosignatures
from ledger.note import decode_note, split_note
from tests.web.conftest import Site
from tests.web.member_steps import sign_in


def _entry(page: Page, seq: int) -> None:
    page.fill("#entry-seq", str(seq))
    page.click("text=Check this entry")


def test_the_latest_checkpoint_and_an_entry_are_verified_in_the_browser(
    page: Page, site: Site
) -> None:
    page.goto("/auditor")
    expect(page.locator("#checkpoint-status .status.ok")).to_contain_text("Signed by the log's key")
    vkey = httpx.get(site.url + "/log/key").text.strip()
    expect(page.locator("#log-key")).to_have_value(vkey)
    _entry(page, 5)
    expect(page.locator("#entry-status .status.ok")).to_contain_text("Entry 5 is in the log")
    expect(page.locator("#entry-facts")).to_contain_text("member.admitted")
    ms = float(page.locator("#entry-facts div:last-child dd").inner_text().split()[0])
    print(f"\ninclusion proof verified in the browser in {ms:.1f} ms")
    page.reload()  # the second visit checks consistency with the remembered checkpoint
    expect(page.locator("#checkpoint-status .status.ok")).to_contain_text(
        "consistent with the checkpoint"
    )


def test_an_entry_link_is_checked_on_arrival_and_works_by_keyboard(page: Page) -> None:
    page.goto("/auditor?entry=3")
    expect(page.locator("#entry-status .status.ok")).to_contain_text("Entry 3 is in the log")
    page.locator("#entry-seq").focus()
    page.keyboard.press("Control+a")
    page.keyboard.type("7")
    page.keyboard.press("Enter")
    expect(page.locator("#entry-status .status.ok")).to_contain_text("Entry 7 is in the log")
    page.fill("#entry-seq", "99999")
    page.keyboard.press("Enter")
    expect(page.locator("#entry-status .status.bad")).to_contain_text("there is no entry 99999")


def test_a_tampered_inclusion_proof_is_refused(page: Page) -> None:
    def tamper(route: Route) -> None:
        proof = route.fetch().json()
        first = proof["path"][0]
        proof["path"][0] = ("0" if first[0] != "0" else "1") + first[1:]
        route.fulfill(json=proof)

    page.route(re.compile(r".*/log/proof/inclusion.*"), tamper)
    page.goto("/auditor?entry=4")
    expect(page.locator("#entry-status .status.bad")).to_contain_text(
        "This proof does not match the checkpoint"
    )


def test_a_tampered_entry_is_refused(page: Page) -> None:
    def tamper(route: Route) -> None:
        listed = route.fetch().json()
        data = bytearray(base64.b64decode(listed["entries"][0]["entry"]))
        data[20] ^= 1
        listed["entries"][0]["entry"] = base64.b64encode(bytes(data)).decode()
        route.fulfill(json=listed)

    page.route(re.compile(r".*/log/entries\?.*"), tamper)
    page.goto("/auditor?entry=4")
    expect(page.locator("#entry-status .status.bad")).to_contain_text("may have been changed")


def test_a_checkpoint_not_signed_by_the_pinned_key_is_refused(page: Page) -> None:
    def forge(route: Route) -> None:
        note = route.fetch().text()
        lines = note.split("\n")
        lines[1] = str(int(lines[1]) + 1)  # another size under the same signature
        route.fulfill(body="\n".join(lines), content_type="text/plain")

    page.goto("/auditor")  # pin the key first
    expect(page.locator("#checkpoint-status .status.ok")).to_be_visible()
    page.route(re.compile(r".*/log/checkpoint$"), forge)
    page.reload()
    expect(page.locator("#checkpoint-status .status.bad")).to_contain_text(
        "not signed by the log's key"
    )


def test_a_fork_and_a_rollback_are_reported(page: Page, site: Site) -> None:
    page.goto("/auditor")
    expect(page.locator("#checkpoint-status .status.ok")).to_be_visible()
    latest = httpx.get(site.url + "/log/checkpoint").text
    older = _older_note(site, int(latest.split("\n")[1]))
    remember = """(note) => {
      const pinned = localStorage.getItem("coopledger.log-key");
      localStorage.setItem("coopledger.checkpoint." + pinned, note);
    }"""
    consistency = re.compile(r".*/log/proof/consistency.*")

    def fork(route: Route) -> None:  # a consistency path that proves nothing
        proof = route.fetch().json()
        proof["path"] = [("0" if p[0] != "0" else "1") + p[1:] for p in proof["path"]]
        route.fulfill(json=proof)

    page.evaluate(remember, older)
    page.route(consistency, fork)
    page.reload()
    expect(page.locator("#checkpoint-status .status.bad")).to_contain_text("a fork")
    page.unroute(consistency)
    page.reload()  # the real proof: consistent again, and the newer checkpoint remembered
    expect(page.locator("#checkpoint-status .status.ok")).to_contain_text("consistent")

    checkpoint = re.compile(r".*/log/checkpoint$")
    page.route(checkpoint, lambda route: route.fulfill(body=older, content_type="text/plain"))
    page.reload()
    expect(page.locator("#checkpoint-status .status.bad")).to_contain_text("The log has gone back")


def _older_note(site: Site, size: int) -> str:
    """A checkpoint the log signed earlier (from the store), of fewer entries than ``size``."""
    with sqlite3.connect(site.data / "ledger.db") as db:
        (note,) = db.execute(
            "SELECT note FROM checkpoints WHERE size < ? ORDER BY size DESC LIMIT 1", (size - 5,)
        ).fetchone()
    db.close()
    return str(note)


def test_witness_cosignatures_made_by_the_server_code_are_checked(page: Page, site: Site) -> None:
    page.goto("/")
    note = httpx.get(site.url + "/log/checkpoint").text
    body, _ = split_note(decode_note(note))
    assert parse_checkpoint_body(body).size > 0
    good, other = Cosigner.generate("witness.example/a"), Cosigner.generate("witness.example/b")
    absent = Cosigner.generate("witness.example/c")
    cosigned = with_cosignatures(
        note, [good.cosign(body, 1_780_000_000), other.cosign(body + "x", 1_780_000_001)]
    )
    verdicts = page.evaluate(
        """async ([note, keys]) => {
          const n = await import("/static/js/note.js");
          const logKey = await n.parseVkey(await (await fetch("/log/key")).text());
          const checkpoint = await n.verifyCheckpoint(note, logKey);
          const witnesses = await Promise.all(keys.map((k) => n.parseVkey(k, n.COSIGN_TYPE)));
          return (await n.verifyCosignatures(checkpoint, witnesses)).map((v) => [v.ok, v.why]);
        }""",
        [cosigned, [good.verifier.vkey(), other.verifier.vkey(), absent.verifier.vkey()]],
    )
    assert verdicts == [
        [True, "cosigned"],
        [False, "its cosignature does not verify"],
        [False, "has not cosigned this checkpoint"],
    ]


def test_a_statement_lines_prove_it_button_verifies_that_entry(page: Page, site: Site) -> None:
    sign_in(page, site, "croydon-print")
    page.goto("/member")
    button = page.locator("#statement button[data-prove-seq]").first
    button.wait_for()
    seq = button.get_attribute("data-prove-seq")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#statement .proof-verdict.ok").first).to_contain_text(
        f"Entry {seq} is in the log"
    )
