"""Signed notes: golden vectors from golang.org/x/mod/sumdb/note, then tamper cases."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

import pytest
from nacl.signing import SigningKey

from ledger.errors import InvalidCheckpointError, InvalidSignatureError, KeyFileError
from ledger.note import (
    MAX_SIGNATURES,
    NoteSigner,
    NoteVerifier,
    is_valid_key_name,
    note_key_id,
    open_note,
    sign_note,
)

# Golden vectors: golang.org/x/mod/sumdb/note, note.go package docs and note_test.go.
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "\u2014 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "\u2014 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)

# The example note of c2sp.org/signed-note (its key is not published).
SPEC_NOTE = (
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed \u00e8 subito sera.\n"
    "\n"
    "\u2014 quasimodo.example/salvatore "
    "NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)


def _seeded(label: str) -> SigningKey:
    return SigningKey(hashlib.sha256(label.encode()).digest())


@pytest.fixture
def make_signer() -> Callable[..., NoteSigner]:
    """A factory of deterministic signers: ``make_signer(name, label=...)``."""

    def make(name: str = "example.com/log", label: str | None = None) -> NoteSigner:
        return NoteSigner(name, _seeded(label or name))

    return make


@pytest.fixture
def peter() -> NoteVerifier:
    return NoteVerifier.from_vkey(PETER_VKEY)


@pytest.fixture
def enoch() -> NoteVerifier:
    return NoteVerifier.from_vkey(ENOCH_VKEY)


# -- keys ---------------------------------------------------------------------------------


def test_golden_keys_round_trip() -> None:
    signer = NoteSigner.from_skey(PETER_SKEY)
    assert signer.name == "PeterNeumann"
    assert signer.key_id == 0xC74F20A3
    assert signer.skey() == PETER_SKEY
    assert signer.verifier.vkey() == PETER_VKEY
    assert NoteVerifier.from_vkey(PETER_VKEY) == signer.verifier
    assert note_key_id("PeterNeumann", signer.verifier.public_key) == 0xC74F20A3


def test_generated_keys_round_trip() -> None:
    signer = NoteSigner.generate("example.com/log")
    again = NoteSigner.from_skey(signer.skey())
    assert again.verifier == signer.verifier
    assert NoteVerifier.from_vkey(signer.verifier.vkey()) == signer.verifier
    assert again.sign(b"hi") == signer.sign(b"hi")


def test_repr_shows_no_secret() -> None:
    signer = NoteSigner.from_skey(PETER_SKEY)
    seed_b64 = PETER_SKEY.rsplit("+", 1)[1]
    assert "c74f20a3" in repr(signer)
    assert seed_b64 not in repr(signer)
    assert PETER_VKEY in repr(signer.verifier)


def _manglings(key: str) -> list[str]:
    """Every proper substring and every one-character increment (as note_test.go does)."""
    out = {key[i:j] for i in range(len(key) + 1) for j in range(i + 1, len(key) + 1)}
    out |= {key[:i] + chr(ord(key[i]) + 1) + key[i + 1 :] for i in range(len(key))}
    out.discard(key)
    return sorted(out)


def test_mangled_vkeys_are_refused() -> None:
    bad = [k for k in _manglings(PETER_VKEY) if _accepts(NoteVerifier.from_vkey, k)]
    assert bad == []


def test_mangled_skeys_are_refused() -> None:
    bad = [k for k in _manglings(PETER_SKEY) if _accepts(NoteSigner.from_skey, k)]
    assert bad == []


def _accepts(parse: Callable[[str], object], key: str) -> bool:
    try:
        parse(key)
    except KeyFileError:
        return False
    return True


@pytest.mark.parametrize(
    "vkey",
    [
        # note_test.go: wrong key length and unknown algorithm, each with an adjusted key ID.
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW=",
        "PeterNeumann+0xc74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "",
    ],
)
def test_bad_vkeys_are_refused(vkey: str) -> None:
    with pytest.raises(KeyFileError):
        NoteVerifier.from_vkey(vkey)


def test_uppercase_hex_key_id_is_accepted_as_go_does() -> None:
    assert NoteVerifier.from_vkey(PETER_VKEY.replace("c74f20a3", "C74F20A3")).vkey() == PETER_VKEY


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("example.com/log", True),
        ("PeterNeumann", True),
        ("caf\u00e9.example", True),
        ("", False),
        ("a+b", False),
        ("a b", False),
        ("a\tb", False),
        ("a\u00a0b", False),  # no-break space
        ("a\u3000b", False),  # ideographic space
        ("a\u2028b", False),  # line separator
        ("a\x01b", False),
        ("a\ud800b", False),  # not encodable as UTF-8
    ],
)
def test_key_name_rules(name: str, valid: bool) -> None:
    assert is_valid_key_name(name) is valid
    if not valid:
        with pytest.raises(ValueError, match="key name"):
            NoteVerifier(name, bytes(32))


def test_verifier_refuses_wrong_public_key_length() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        NoteVerifier("example.com/log", bytes(31))


def test_verify_raises_on_bad_signature(peter: NoteVerifier) -> None:
    signature = NoteSigner.from_skey(PETER_SKEY).sign(b"hi")
    peter.verify(message=b"hi", signature=signature)
    with pytest.raises(InvalidSignatureError):
        peter.verify(message=b"ho", signature=signature)
    with pytest.raises(InvalidSignatureError):
        peter.verify(message=b"hi", signature=signature[:-1])


# -- signing ------------------------------------------------------------------------------


def test_sign_golden_note() -> None:
    assert sign_note(TEXT, [NoteSigner.from_skey(PETER_SKEY)]) == TEXT + "\n" + PETER_SIG


def test_open_golden_note(peter: NoteVerifier) -> None:
    assert open_note(TEXT + "\n" + PETER_SIG, [peter]) == (TEXT, [peter])
    assert open_note((TEXT + "\n" + PETER_SIG).encode(), [peter]) == (TEXT, [peter])


@pytest.mark.parametrize("text", ["no newline", "", "tab\there\n", "cr\r\n", "nul\x00\n"])
def test_sign_refuses_malformed_text(text: str) -> None:
    with pytest.raises(InvalidCheckpointError, match="malformed note"):
        sign_note(text, [NoteSigner.from_skey(PETER_SKEY)])


def test_sign_refuses_no_signers_and_repeated_signers() -> None:
    signer = NoteSigner.from_skey(PETER_SKEY)
    with pytest.raises(ValueError, match="signers"):
        sign_note(TEXT, [])
    with pytest.raises(ValueError, match="twice"):
        sign_note(TEXT, [signer, signer])


def test_text_may_hold_blank_lines(make_signer: Callable[..., NoteSigner]) -> None:
    signer = make_signer()
    for text in ["a\n\nb\n", "a\n\n", "\n", "a\n\n\u2014 fake AAAAAAA=\n"]:
        assert open_note(sign_note(text, [signer]), [signer.verifier]) == (text, [signer.verifier])


# -- which signatures count -----------------------------------------------------------------


def test_unknown_signers_are_ignored(peter: NoteVerifier, enoch: NoteVerifier) -> None:
    note = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert open_note(note, [peter]) == (TEXT, [peter])
    assert open_note(note, [enoch]) == (TEXT, [enoch])
    assert open_note(note, [peter, enoch]) == (TEXT, [peter, enoch])


def test_no_known_signer_is_refused(peter: NoteVerifier) -> None:
    with pytest.raises(InvalidCheckpointError, match="no verified signature"):
        open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [])
    with pytest.raises(InvalidCheckpointError, match="no verified signature"):
        open_note(SPEC_NOTE, [peter])


def test_same_name_or_same_id_alone_is_another_key(peter: NoteVerifier) -> None:
    other = NoteSigner("PeterNeumann", _seeded("impostor"))
    assert other.key_id != peter.key_id
    impostor_same_name = sign_note(TEXT, [other])
    with pytest.raises(InvalidCheckpointError, match="no verified signature"):
        open_note(impostor_same_name, [peter])
    renamed = TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "PeterNeuman")
    with pytest.raises(InvalidCheckpointError, match="no verified signature"):
        open_note(renamed, [peter])
    assert open_note(impostor_same_name + PETER_SIG, [peter]) == (TEXT, [peter])


def test_bad_signature_from_known_key_is_refused(peter: NoteVerifier) -> None:
    # note_test.go: four base64 characters inserted into Peter's signature.
    bad = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(InvalidCheckpointError, match="does not verify"):
        open_note(TEXT + "\n" + bad, [peter])
    with pytest.raises(InvalidCheckpointError, match="does not verify"):
        open_note(TEXT + "\n" + PETER_SIG + bad, [peter])


def test_repeated_signatures_count_once(peter: NoteVerifier) -> None:
    enoch_abcd = ENOCH_SIG[:60] + "ABCD" + ENOCH_SIG[60:]
    note = TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG + enoch_abcd
    assert open_note(note, [peter]) == (TEXT, [peter])


def test_repeated_verifiers_are_one(peter: NoteVerifier) -> None:
    assert open_note(TEXT + "\n" + PETER_SIG, [peter, peter]) == (TEXT, [peter])


def _colliding_signers() -> tuple[NoteSigner, NoteSigner]:
    """Two keys with one name and one key ID (found offline by a birthday search)."""
    keys = [_seeded(f"coopledger test collision {i}") for i in (46230, 242878)]
    a, b = (NoteSigner("example.com/log", key) for key in keys)
    assert a.key_id == b.key_id == 0x5B4B3458
    assert a.verifier != b.verifier
    return a, b


def test_colliding_key_id_with_wrong_key_is_refused() -> None:
    log, attacker = _colliding_signers()
    forged = sign_note("size 10\n", [attacker])
    assert forged.splitlines()[-1].split()[1] == "example.com/log"
    with pytest.raises(InvalidCheckpointError, match="does not verify"):
        open_note(forged, [log.verifier])
    genuine = sign_note("size 10\n", [log])
    with pytest.raises(InvalidCheckpointError, match="does not verify"):
        open_note(genuine + forged.split("\n\n")[1], [log.verifier])


def test_ambiguous_known_keys_are_refused() -> None:
    a, b = _colliding_signers()
    with pytest.raises(InvalidCheckpointError, match="ambiguous"):
        open_note(sign_note("hi\n", [a]), [a.verifier, b.verifier])


# -- how many signatures ----------------------------------------------------------------------


def test_sixteen_and_more_known_signatures_are_accepted(
    make_signer: Callable[..., NoteSigner],
) -> None:
    signers = [make_signer(f"witness{i}.example") for i in range(20)]
    note = sign_note(TEXT, signers)
    text, verified = open_note(note, [s.verifier for s in signers])
    assert text == TEXT
    assert verified == [s.verifier for s in signers]


def test_up_to_max_signature_lines_are_read(
    peter: NoteVerifier, make_signer: Callable[..., NoteSigner]
) -> None:
    others = sign_note(TEXT, [make_signer(f"w{i}.example") for i in range(MAX_SIGNATURES - 1)])
    note = others + PETER_SIG
    assert open_note(note, [peter]) == (TEXT, [peter])
    with pytest.raises(InvalidCheckpointError, match="more than"):
        open_note(note + ENOCH_SIG, [peter])
    with pytest.raises(InvalidCheckpointError, match="more than"):
        open_note(TEXT + "\n" + PETER_SIG * (MAX_SIGNATURES + 1), [peter])


# -- malformed notes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "note",
    [
        # note_test.go's bad messages
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Bad Name"),
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        # and more
        TEXT + PETER_SIG,  # no blank line
        TEXT + "\n" + PETER_SIG + "\n",  # trailing blank line
        TEXT + "\n" + PETER_SIG + "junk",  # trailing junk
        TEXT + "\n" + PETER_SIG.replace("\u2014", "-"),
        TEXT + "\n" + PETER_SIG.replace("\u2014 ", "\u2014"),
        TEXT + "\n" + PETER_SIG.replace(" x08go", "  x08go"),
        TEXT + "\n" + PETER_SIG.replace(" x08go", "x08go"),
        TEXT + "\n" + PETER_SIG.replace("AM=", "AM"),  # padding missing
        TEXT + "\n" + PETER_SIG.replace("AM=", "AN="),  # non-zero pad bits
        TEXT + "\n" + PETER_SIG.replace("x08g", "x0*g"),  # not base64
        TEXT + "\n" + PETER_SIG.replace("\n", "\r\n"),
        TEXT + "\n" + "\u2014 PeterNeumann AAAA\n",  # too short for a key ID and signature
        TEXT + "\n" + "\u2014 Peter+Neumann AAAAAAA=\n",
        TEXT.replace("\n", "\n\t", 1) + "\n" + PETER_SIG,
    ],
)
def test_malformed_notes_are_refused(note: str, peter: NoteVerifier) -> None:
    with pytest.raises(InvalidCheckpointError):
        open_note(note, [peter])


def test_invalid_utf8_is_refused(peter: NoteVerifier) -> None:
    with pytest.raises(InvalidCheckpointError, match="UTF-8"):
        open_note(b"\xff" + (TEXT + "\n" + PETER_SIG).encode(), [peter])
    with pytest.raises(InvalidCheckpointError, match="UTF-8"):
        open_note("\ud800" + TEXT + "\n" + PETER_SIG, [peter])


def test_changed_text_is_refused(peter: NoteVerifier) -> None:
    with pytest.raises(InvalidCheckpointError, match="does not verify"):
        open_note(TEXT.replace("problem", "Problem", 1) + "\n" + PETER_SIG, [peter])


def test_signature_is_over_the_text_bytes() -> None:
    signer = NoteSigner.from_skey(PETER_SKEY)
    line = sign_note(TEXT, [signer]).split("\n\n")[1]
    raw = base64.b64decode(line.split()[2])
    assert raw[:4] == bytes.fromhex("c74f20a3")
    signer.verifier.verify(message=TEXT.encode(), signature=raw[4:])
