"""The witnessing policy (K of N), its configuration, and the 409 answer's size body."""

from __future__ import annotations

import json

import pytest
from nacl.signing import SigningKey

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.cosignature import Cosigner, with_cosignatures
from ledger.errors import InvalidCheckpointError, KeyFileError, NotWitnessedError
from ledger.note import NoteSigner
from ledger.witness import format_add_checkpoint
from ledger.witnessing import (
    Witness,
    WitnessConfigError,
    WitnessPolicy,
    log_signed,
    parse_tree_size,
    require_cosignatures,
    witness_verifiers,
)
from tests.ledger.test_formats_doc import DOC, _example

ORIGIN = "example.coopledger/log"
ROOT = bytes(range(32))


def _note(size: int = 5) -> tuple[NoteSigner, str, str]:
    signer = NoteSigner.generate(ORIGIN)
    body = Checkpoint(origin=ORIGIN, size=size, root=ROOT)
    return signer, body.body(), sign_checkpoint(body, signer)


def _policy(cosigners: list[Cosigner], quorum: int) -> WitnessPolicy:
    witnesses = tuple(
        Witness(f"http://127.0.0.1:{9000 + i}", c.verifier) for i, c in enumerate(cosigners)
    )
    return WitnessPolicy(witnesses, quorum)


def test_a_checkpoint_is_witnessed_once_k_distinct_witnesses_cosigned() -> None:
    _, body, note = _note()
    cosigners = [Cosigner.generate(f"witness.example/w{i}") for i in range(3)]
    policy = _policy(cosigners, 2)
    one = note + cosigners[0].cosign(body, 1_700_000_000)
    assert not policy.witnessed(one)
    again = one + cosigners[0].cosign(body, 1_700_000_001)  # the same witness twice: one
    assert not policy.witnessed(again)
    with pytest.raises(NotWitnessedError, match="1 valid cosignature by the given witnesses; 2"):
        require_cosignatures(again, policy.verifiers, 2)
    two = one + cosigners[2].cosign(body, 1_700_000_002)
    assert policy.witnessed(two)
    found = require_cosignatures(two, policy.verifiers, 2)
    assert {c.witness for c in found} == {cosigners[0].verifier, cosigners[2].verifier}


def test_a_cosignature_by_a_stranger_does_not_count() -> None:
    _, body, note = _note()
    known, stranger = Cosigner.generate("witness.example/a"), Cosigner.generate("other/b")
    cosigned = note + stranger.cosign(body, 7)
    with pytest.raises(NotWitnessedError):
        require_cosignatures(cosigned, [known.verifier], 1)


def test_a_forged_cosignature_by_a_configured_witness_refuses_the_note() -> None:
    _, _, note = _note()
    witness = Cosigner.generate("witness.example/a")
    other_body = Checkpoint(origin=ORIGIN, size=6, root=ROOT).body()
    line = witness.cosign(other_body, 9)  # a real line, but over another checkpoint
    with pytest.raises(InvalidCheckpointError, match="does not verify"):
        require_cosignatures(note + line, [witness.verifier], 1)


@pytest.mark.parametrize(
    ("body", "size"), [(b"0\n", 0), (b"17\n", 17), (b"18446744073709551615\n", 2**64 - 1)]
)
def test_a_tree_size_body_is_read(body: bytes, size: int) -> None:
    assert parse_tree_size(body) == size


@pytest.mark.parametrize("body", [b"", b"17", b"017\n", b"-1\n", b"1 \n", b"12\n\n", b"x\n"])
def test_a_malformed_tree_size_body_is_refused(body: bytes) -> None:
    with pytest.raises(InvalidCheckpointError):
        parse_tree_size(body)


def test_log_signed_keeps_only_the_log_signature() -> None:
    signer, body, note = _note()
    cosigned = note + Cosigner.generate("witness.example/a").cosign(body, 3)
    assert log_signed(cosigned, signer.verifier) == note


def test_the_policy_round_trips_through_json_and_checks_its_quorum() -> None:
    cosigners = [Cosigner.generate(f"witness.example/w{i}") for i in range(2)]
    policy = _policy(cosigners, 2)
    assert WitnessPolicy.from_json(policy.to_json()) == policy
    assert WitnessPolicy.from_json({}) == WitnessPolicy()
    with pytest.raises(WitnessConfigError, match="quorum must be 1 to 2"):
        WitnessPolicy(policy.witnesses, 3)
    with pytest.raises(WitnessConfigError, match="quorum must be 1 to 2"):
        WitnessPolicy(policy.witnesses, 0)
    with pytest.raises(WitnessConfigError, match="once"):
        WitnessPolicy((policy.witnesses[0], policy.witnesses[0]), 1)
    smaller = policy.without_witness(policy.witnesses[0].key)
    assert smaller.quorum == 1
    assert smaller.witnesses == policy.witnesses[1:]
    moved = Witness("https://w.example/prefix", cosigners[1].verifier)
    assert smaller.with_witness(moved).witnesses == (moved,)


KEY = "{key}"


@pytest.mark.parametrize(
    "document",
    [
        {"witnesses": {}},
        {"witnesses": [{"url": "http://w.example"}]},
        {"witnesses": [{"url": "http://w.example", "key": KEY, "name": "w"}]},
        {"witnesses": [{"url": "ftp://w.example", "key": KEY}]},
        {"witnesses": [{"url": "http://w.example/?q=1", "key": KEY}]},
        {"witnesses": [{"url": "http://w.example", "key": "w+00000000+AAAA"}]},
        {"witnesses": [{"url": "http://w.example", "key": KEY}], "witness_quorum": 2},
        {"witnesses": [], "witness_quorum": 1},
        {"witnesses": [], "witness_quorum": "1"},
    ],
)
def test_a_malformed_witness_configuration_is_refused(document: dict[str, object]) -> None:
    text = json.dumps(document).replace(KEY, _vkey())
    with pytest.raises(WitnessConfigError):
        WitnessPolicy.from_json(json.loads(text))


def test_a_bad_witness_key_is_named() -> None:
    log_key = NoteSigner.generate(ORIGIN).verifier.vkey()  # a log key (type 0x01), not 0x04
    with pytest.raises(KeyFileError, match="witness key"):
        witness_verifiers([_vkey(), log_key])
    with pytest.raises(WitnessConfigError, match="witness key"):
        Witness.parse("http://127.0.0.1:1", log_key)


def _vkey() -> str:
    return Cosigner.generate("witness.example/v").verifier.vkey()


def test_the_worked_example_of_formats_section_9_is_what_the_code_makes() -> None:
    note = _example()[-1]
    witness = Cosigner("witness.example/w1", SigningKey(bytes(range(64, 96))))
    body = note.partition("\n\n")[0] + "\n"
    line = witness.cosign(body, 1_767_258_002)
    section = DOC.read_text(encoding="utf-8").split("## 9. Witnessed checkpoints")[1]
    for value in (
        witness.verifier.vkey(),
        format_add_checkpoint(0, [], note).decode(),
        line,
        with_cosignatures(note, [line]),
    ):
        assert value in section, value[:60]
    assert require_cosignatures(note + line, [witness.verifier], 1)[0].timestamp == 1_767_258_002
