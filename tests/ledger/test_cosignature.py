"""Witness cosignatures (C2SP tlog-cosignature v1.0.1): bytes, keys and refusals."""

from __future__ import annotations

import base64
import hashlib

import pytest
from nacl.signing import SigningKey, VerifyKey

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.cosignature import (
    Cosigner,
    CosignerVerifier,
    cosigned_message,
    open_cosignatures,
    with_cosignatures,
)
from ledger.errors import InvalidCheckpointError, KeyFileError
from ledger.note import NoteSigner, note_key_id, open_note

SEED = bytes(range(32))
BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"


def test_signed_message_is_the_specs_example() -> None:
    assert cosigned_message(BODY, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )


def test_line_bytes_by_hand() -> None:
    witness = Cosigner("witness.example.com/w1", SigningKey(SEED))
    line = witness.cosign(BODY, 1679315147)
    assert line.startswith("\u2014 witness.example.com/w1 ") and line.endswith("\n")
    raw = base64.b64decode(line.split(" ")[2])
    public = bytes(SigningKey(SEED).verify_key)
    key_id = hashlib.sha256(b"witness.example.com/w1\n\x04" + public).digest()[:4]
    assert raw[:4] == key_id
    assert int.from_bytes(raw[4:12], "big") == 1679315147
    VerifyKey(public).verify(cosigned_message(BODY, 1679315147), raw[12:])
    # the witness ID differs from a log key's of the same name and key (type byte 0x01)
    assert note_key_id("witness.example.com/w1", public).to_bytes(4, "big") != key_id


def test_keys_round_trip_and_are_typed() -> None:
    witness = Cosigner.generate("witness.example/a")
    assert Cosigner.from_skey(witness.skey()).verifier == witness.verifier
    vkey = witness.verifier.vkey()
    assert CosignerVerifier.from_vkey(vkey) == witness.verifier
    assert base64.b64decode(vkey.split("+", 2)[2])[0] == 0x04
    log_vkey = NoteSigner.generate("witness.example/a").verifier.vkey()
    with pytest.raises(KeyFileError, match="signature type"):
        CosignerVerifier.from_vkey(log_vkey)
    name, key_id, key = vkey.split("+", 2)
    with pytest.raises(KeyFileError, match="key ID"):
        CosignerVerifier.from_vkey(f"{name}+{int(key_id, 16) ^ 1:08x}+{key}")
    assert "PRIVATE" not in repr(witness)


def test_open_cosignatures_on_a_checkpoint() -> None:
    log = NoteSigner.generate("example.org/log")
    note = sign_checkpoint(Checkpoint("example.org/log", 5, bytes(32)), log)
    a, b, c = (Cosigner.generate(f"w.example/{n}") for n in "abc")
    body = note.partition("\n\n")[0] + "\n"
    cosigned = with_cosignatures(note, [a.cosign(body, 100), b.cosign(body, 200)])
    assert with_cosignatures(cosigned, [a.cosign(body, 100)]) == cosigned  # no repeats
    open_note(cosigned, [log.verifier])  # the log's own verifier ignores the cosignatures
    opened, found = open_cosignatures(cosigned, [a.verifier, b.verifier, c.verifier])
    assert opened == body
    assert [(s.witness, s.timestamp) for s in found] == [(a.verifier, 100), (b.verifier, 200)]
    # a cosignature of another body, under a known witness's name and ID, refuses the note
    forged = with_cosignatures(note, [a.cosign(body.replace("\n5\n", "\n6\n"), 100)])
    with pytest.raises(InvalidCheckpointError, match="does not verify"):
        open_cosignatures(forged, [a.verifier])
    # a log-style (untimestamped) signature under the witness's ID is the wrong length
    raw = a.verifier.key_id.to_bytes(4, "big") + bytes(64)
    short = note + f"\u2014 w.example/a {base64.b64encode(raw).decode()}\n"
    with pytest.raises(InvalidCheckpointError, match="wrong length"):
        open_cosignatures(short, [a.verifier])


def test_timestamp_bounds() -> None:
    with pytest.raises(ValueError):
        cosigned_message(BODY, 2**63)
    with pytest.raises(ValueError):
        cosigned_message(BODY, -1)
