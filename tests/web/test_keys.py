"""The member's key in Chromium: made with WebCrypto, kept non-extractable in IndexedDB across
reloads, backed up under a passphrase (the backup opened here in Python too, byte for byte as
docs/formats.md says), restored in a fresh browser, and imported from a keygen key file."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import nacl.bindings
import pytest
from nacl.signing import SigningKey
from playwright.sync_api import Browser, Page

from tests.web.conftest import Site
from tests.web.member_steps import PASSPHRASE, another_browser, sign_in

STORED = """async () => {
  const { loadKey } = await import("/static/js/keys.js");
  const record = await loadKey();
  if (!record) return null;
  let exported = true;
  try { await crypto.subtle.exportKey("pkcs8", record.privateKey); } catch { exported = false; }
  return { keyId: record.keyId, publicKey: record.publicKey, member: record.member,
           extractable: record.privateKey.extractable, exported, type: record.privateKey.type };
}"""


def _make_key(page: Page) -> None:
    page.goto("/join")
    page.locator("#no-key").wait_for()
    page.fill("#create-passphrase", PASSPHRASE)
    page.fill("#create-repeat", PASSPHRASE)
    page.click("text=Make my key")
    page.locator("#have-key").wait_for()
    page.locator("#key-status.bad").wait_for()  # no member holds a new key


def _download_backup(page: Page, folder: Path) -> Path:
    with page.expect_download() as download:
        page.click("text=Download the backup")
    path = folder / download.value.suggested_filename
    download.value.save_as(path)
    return path


def test_a_new_key_stays_after_a_reload_and_cannot_be_extracted(site: Site, page: Page) -> None:
    _make_key(page)
    assert "not a member's key yet" in page.locator("#key-status").inner_text()
    made = page.evaluate(STORED)
    assert page.locator("#send-board").inner_text().count(made["publicKey"]) == 1
    page.reload()
    page.locator("#have-key").wait_for()
    kept = page.evaluate(STORED)
    assert kept == made
    assert kept["extractable"] is False and kept["exported"] is False
    assert kept["type"] == "private"
    assert page.locator("#key-id").inner_text() == kept["keyId"]


def test_a_backup_is_restored_in_a_fresh_browser_with_its_passphrase(
    site: Site, page: Page, chromium: Browser, tmp_path: Path
) -> None:
    _make_key(page)
    made = page.evaluate(STORED)
    backup = _download_backup(page, tmp_path)
    with another_browser(chromium, site) as fresh:
        fresh.goto("/join")
        fresh.locator("#no-key").wait_for()
        fresh.set_input_files("#restore-file", str(backup))
        fresh.fill("#restore-passphrase", "not the passphrase")
        fresh.click("text=Restore the key")
        fresh.locator("#key-status.bad").wait_for()
        assert "passphrase does not open this backup" in fresh.locator("#key-status").inner_text()
        assert fresh.evaluate(STORED) is None
        assert fresh.locator("#have-key").is_hidden()
        fresh.fill("#restore-passphrase", PASSPHRASE)
        fresh.click("text=Restore the key")
        fresh.locator("#have-key").wait_for()
        restored = fresh.evaluate(STORED)
        assert restored["keyId"] == made["keyId"]
        assert restored["extractable"] is False


def test_the_backup_file_is_the_documented_format(site: Site, page: Page, tmp_path: Path) -> None:
    _make_key(page)
    made = page.evaluate(STORED)
    text = _download_backup(page, tmp_path).read_text(encoding="utf-8")
    backup = json.loads(text)
    assert text == json.dumps(backup, indent=2) + "\n"
    assert list(backup) == [
        "type", "member", "key_id", "public_key", "kdf", "iterations", "salt", "cipher", "iv",
        "ciphertext",
    ]  # fmt: skip
    assert backup["type"] == "coopledger-key-backup-v1"
    assert (backup["kdf"], backup["cipher"]) == ("PBKDF2-SHA256", "AES-256-GCM")
    assert backup["iterations"] >= 600_000
    key = hashlib.pbkdf2_hmac(
        "sha256", PASSPHRASE.encode(), base64.b64decode(backup["salt"]), backup["iterations"], 32
    )
    aad = b"coopledger/key-backup/v1\n" + backup["public_key"].encode()
    try:
        seed = nacl.bindings.crypto_aead_aes256gcm_decrypt(
            base64.b64decode(backup["ciphertext"]), aad, base64.b64decode(backup["iv"]), key
        )
    except (RuntimeError, nacl.exceptions.UnavailableError):  # no AES-NI on this CPU
        pytest.skip("libsodium's AES-256-GCM needs hardware AES")
    public = bytes(SigningKey(seed).verify_key)
    assert base64.b64encode(public).decode() == backup["public_key"] == made["publicKey"]
    assert hashlib.sha256(public).hexdigest()[:16] == backup["key_id"] == made["keyId"]


def test_a_keygen_key_file_is_imported_and_signs_in(site: Site, page: Page) -> None:
    status = sign_in(page, site, "croydon-print")
    key = json.loads(site.member_key("croydon-print").read_text())
    assert status == f"Signed in as croydon-print ({key['member']})."
    assert page.locator("#who").inner_text() == "Signed in as croydon-print"
    stored = page.evaluate(STORED)
    assert (stored["keyId"], stored["member"]) == (key["key_id"], key["member"])
    assert stored["extractable"] is False
    page.goto("/join")
    page.locator("#to-member").wait_for()


def test_a_key_file_whose_public_key_is_not_its_seeds_is_refused(
    site: Site, page: Page, tmp_path: Path
) -> None:
    key = json.loads(site.member_key("croydon-print").read_text())
    other = json.loads(site.member_key("merton-care").read_text())
    forged = tmp_path / "forged.key"
    forged.write_text(
        json.dumps({**key, "public_key": other["public_key"], "key_id": other["key_id"]})
    )
    page.goto("/join")
    page.set_input_files("#import-file", str(forged))
    page.fill("#import-passphrase", PASSPHRASE)
    page.click("text=Import the key")
    page.locator("#key-status.bad").wait_for()
    assert "not the public key of its seed" in page.locator("#key-status").inner_text()
    assert page.evaluate(STORED) is None
    page.fill("#import-passphrase", "short")
    page.set_input_files("#import-file", str(site.member_key("croydon-print")))
    page.click("text=Import the key")
    page.locator("#key-status.bad").filter(has_text="at least 10 characters").wait_for()
    assert page.evaluate(STORED) is None
