"""Checkpoints: a real published checkpoint, the spec's example, tamper cases, round trips."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nacl.signing import SigningKey

from ledger.checkpoint import (
    MAX_TREE_SIZE,
    Checkpoint,
    open_checkpoint,
    parse_checkpoint_body,
    sign_checkpoint,
    verify_checkpoint,
)
from ledger.errors import InvalidCheckpointError
from ledger.note import NoteSigner, NoteVerifier, sign_note

# The Go checksum database's key (golang/go src/cmd/go/internal/modfetch/key.go) and a
# checkpoint it published at sum.golang.org/latest on 2024-09-23.
SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_BODY = "go.sum database tree\n30055305\nmXfgRcJ0bG0j3CPdKwgGWtUzBUbX67saZGRmFuJGGsM=\n"
SUMDB_NOTE = (
    SUMDB_BODY
    + "\n\u2014 sum.golang.org "
    + "Az3grpgEild5qw7+5dtV13Kf1C2Xurm8q4fhdxvcsDHnqNTaxL2AFjBY+2TyGKevucFcAAlWFJJY"
    + "le3EJlDCrQ+y3A8=\n"
)

# The example of c2sp.org/tlog-checkpoint (its signing key is not published).
SPEC_NOTE = (
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "\u2014 example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)

ORIGIN = "example.com/log"
LOG_KEY = SigningKey(hashlib.sha256(b"coopledger test log key").digest())


@pytest.fixture
def log() -> NoteSigner:
    return NoteSigner(ORIGIN, LOG_KEY)


@pytest.fixture
def make_checkpoint() -> Callable[..., Checkpoint]:
    """A factory of checkpoints: ``make_checkpoint(size=..., root=...)``."""

    def make(**overrides: object) -> Checkpoint:
        fields: dict[str, object] = {"origin": ORIGIN, "size": 10, "root": bytes(range(32))}
        fields.update(overrides)
        return Checkpoint(**fields)  # type: ignore[arg-type]

    return make


def _witness(i: int) -> NoteSigner:
    return NoteSigner(f"witness{i}.example", SigningKey(hashlib.sha256(b"w%d" % i).digest()))


# -- published vectors ----------------------------------------------------------------------


def test_real_sumdb_checkpoint_verifies() -> None:
    verifier = NoteVerifier.from_vkey(SUMDB_VKEY)
    checkpoint = verify_checkpoint(SUMDB_NOTE, verifier, origin="go.sum database tree")
    assert checkpoint.size == 30055305
    assert checkpoint.root == base64.b64decode("mXfgRcJ0bG0j3CPdKwgGWtUzBUbX67saZGRmFuJGGsM=")
    assert checkpoint.extensions == ()
    assert checkpoint.body() == SUMDB_BODY


def test_real_sumdb_checkpoint_tampered_is_refused() -> None:
    verifier = NoteVerifier.from_vkey(SUMDB_VKEY)
    with pytest.raises(InvalidCheckpointError, match="does not verify"):
        verify_checkpoint(SUMDB_NOTE.replace("30055305", "30055306"), verifier)


def test_spec_example_parses_but_is_signed_by_no_known_key() -> None:
    body, _ = SPEC_NOTE.split("\n\n")
    checkpoint = parse_checkpoint_body(body + "\n")
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.body() == body + "\n"
    with pytest.raises(InvalidCheckpointError, match="no verified signature"):
        verify_checkpoint(SPEC_NOTE, NoteVerifier.from_vkey(SUMDB_VKEY))


# -- signing and verifying ------------------------------------------------------------------


def test_body_format(make_checkpoint: Callable[..., Checkpoint]) -> None:
    checkpoint = make_checkpoint(size=0, root=bytes(32), extensions=("ext one", "two"))
    assert checkpoint.body() == (
        f"{ORIGIN}\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\next one\ntwo\n"
    )


def test_sign_and_verify(log: NoteSigner, make_checkpoint: Callable[..., Checkpoint]) -> None:
    checkpoint = make_checkpoint()
    note = sign_checkpoint(checkpoint, log)
    assert note.startswith(checkpoint.body() + "\n\u2014 example.com/log ")
    assert verify_checkpoint(note, log.verifier, origin=ORIGIN) == checkpoint
    assert verify_checkpoint(note.encode(), log.verifier) == checkpoint
    assert open_checkpoint(note, [log.verifier]) == (checkpoint, [log.verifier])


def test_wrong_origin_is_refused(
    log: NoteSigner, make_checkpoint: Callable[..., Checkpoint]
) -> None:
    note = sign_checkpoint(make_checkpoint(), log)
    with pytest.raises(InvalidCheckpointError, match="origin"):
        verify_checkpoint(note, log.verifier, origin="example.com/other")


def test_cosignatures_and_unknown_signers_are_ignored(
    log: NoteSigner, make_checkpoint: Callable[..., Checkpoint]
) -> None:
    checkpoint = make_checkpoint()
    witnesses = [_witness(i) for i in range(20)]
    note = sign_note(checkpoint.body(), [witnesses[0], log, *witnesses[1:]])
    assert verify_checkpoint(note, log.verifier) == checkpoint
    known = [witnesses[17].verifier, log.verifier, witnesses[3].verifier]
    in_note_order = [log.verifier, witnesses[3].verifier, witnesses[17].verifier]
    assert open_checkpoint(note, known) == (checkpoint, in_note_order)


def test_sixteen_cosigners_all_verify(
    log: NoteSigner, make_checkpoint: Callable[..., Checkpoint]
) -> None:
    signers = [log, *(_witness(i) for i in range(16))]
    note = sign_note(make_checkpoint().body(), signers)
    _, verified = open_checkpoint(note, [s.verifier for s in signers])
    assert verified == [s.verifier for s in signers]


# -- tampering ------------------------------------------------------------------------------


def _signed(log: NoteSigner) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, 10, bytes(range(32))), log)


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda n: n.replace("AAECAwQF", "AAECAwQG", 1), "does not verify"),  # a root byte
        (lambda n: n.replace("\n10\n", "\n11\n", 1), "does not verify"),  # the size
        (lambda n: n.replace(ORIGIN, "example.com/lag", 1), "does not verify"),  # the origin
        (lambda n: n.replace("\n\n", "\n", 1), "no blank line"),
        (lambda n: n + "junk", "must end in a newline"),
        (lambda n: n + "junk\n", "not a signature line"),
        (lambda n: n + "\n", "must end in a newline"),
        (lambda n: n[:-3] + "*=\n", "base64"),
        (lambda n: n[:-3] + "=\n", "base64"),
    ],
)
def test_tampered_checkpoints_are_refused(
    log: NoteSigner, tamper: Callable[[str], str], message: str
) -> None:
    note = _signed(log)
    tampered = tamper(note)
    assert tampered != note
    with pytest.raises(InvalidCheckpointError, match=message):
        verify_checkpoint(tampered, log.verifier)


def test_unknown_key_only_is_refused(log: NoteSigner) -> None:
    impostor = NoteSigner(ORIGIN, SigningKey(hashlib.sha256(b"impostor").digest()))
    note = sign_checkpoint(Checkpoint(ORIGIN, 10, bytes(32)), impostor)
    with pytest.raises(InvalidCheckpointError, match="no verified signature"):
        verify_checkpoint(note, log.verifier)


def test_colliding_key_id_is_refused() -> None:
    seeds = [hashlib.sha256(b"coopledger test collision %d" % i).digest() for i in (46230, 242878)]
    genuine, forger = (NoteSigner("example.com/log", SigningKey(s)) for s in seeds)
    assert genuine.key_id == forger.key_id
    forged = sign_checkpoint(Checkpoint(ORIGIN, 10, bytes(32)), forger)
    with pytest.raises(InvalidCheckpointError, match="does not verify"):
        verify_checkpoint(forged, genuine.verifier)


def test_a_signed_body_that_is_no_checkpoint_is_refused(log: NoteSigner) -> None:
    note = sign_note("example.com/log\n10\n", [log])
    with pytest.raises(InvalidCheckpointError, match="root hash lines"):
        verify_checkpoint(note, log.verifier)


# -- parsing --------------------------------------------------------------------------------

ROOT = base64.b64encode(bytes(range(32))).decode()


@pytest.mark.parametrize(
    "body",
    [
        f"{ORIGIN}\n10\n{ROOT}",  # no final newline
        f"{ORIGIN}\n10\n",  # two lines
        f"\n10\n{ROOT}\n",  # empty origin
        f"{ORIGIN}\n010\n{ROOT}\n",
        f"{ORIGIN}\n00\n{ROOT}\n",
        f"{ORIGIN}\n+10\n{ROOT}\n",
        f"{ORIGIN}\n-1\n{ROOT}\n",
        f"{ORIGIN}\n 10\n{ROOT}\n",
        f"{ORIGIN}\n10 \n{ROOT}\n",
        f"{ORIGIN}\n1_0\n{ROOT}\n",
        f"{ORIGIN}\n\u0661\u0660\n{ROOT}\n",  # Arabic-Indic digits
        f"{ORIGIN}\n0x10\n{ROOT}\n",
        f"{ORIGIN}\n\n{ROOT}\n",
        f"{ORIGIN}\n{MAX_TREE_SIZE + 1}\n{ROOT}\n",
        f"{ORIGIN}\n10\n{ROOT[:-1]}\n",  # padding missing
        f"{ORIGIN}\n10\n{ROOT[:-2]}9=\n",  # non-zero pad bits
        f"{ORIGIN}\n10\n{base64.b64encode(bytes(31)).decode()}\n",
        f"{ORIGIN}\n10\n{base64.b64encode(bytes(33)).decode()}\n",
        f"{ORIGIN}\n10\n{ROOT.replace('A', '-')}\n",  # URL-safe alphabet
        f"{ORIGIN}\n10\n{ROOT}\n\n",  # empty extension line
        f"{ORIGIN}\n10\n{ROOT}\next\n\n",
        f"{ORIGIN}\r\n10\n{ROOT}\n",
        f"{ORIGIN}\n10\n{ROOT}\next\tension\n",
    ],
)
def test_malformed_bodies_are_refused(body: str) -> None:
    with pytest.raises(InvalidCheckpointError):
        parse_checkpoint_body(body)


def test_largest_size_and_empty_tree_parse() -> None:
    assert parse_checkpoint_body(f"{ORIGIN}\n{MAX_TREE_SIZE}\n{ROOT}\n").size == MAX_TREE_SIZE
    assert parse_checkpoint_body(f"{ORIGIN}\n0\n{ROOT}\n").size == 0


@pytest.mark.parametrize(
    "overrides",
    [
        {"origin": ""},
        {"origin": "a\nb"},
        {"size": -1},
        {"size": MAX_TREE_SIZE + 1},
        {"size": True},
        {"root": bytes(31)},
        {"extensions": ("",)},
        {"extensions": ("a\nb",)},
    ],
)
def test_invalid_checkpoints_cannot_be_built(
    make_checkpoint: Callable[..., Checkpoint], overrides: dict[str, object]
) -> None:
    with pytest.raises(InvalidCheckpointError):
        make_checkpoint(**overrides)


# -- properties -----------------------------------------------------------------------------

_line = st.text(alphabet=st.characters(min_codepoint=0x20, exclude_categories=["Cs"]), min_size=1)
checkpoints = st.builds(
    Checkpoint,
    origin=_line,
    size=st.integers(min_value=0, max_value=MAX_TREE_SIZE),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(_line, max_size=3).map(tuple),
)


@given(checkpoints)
def test_body_round_trips(checkpoint: Checkpoint) -> None:
    body = checkpoint.body()
    assert parse_checkpoint_body(body) == checkpoint
    assert parse_checkpoint_body(body).body() == body


@given(checkpoints)
def test_signed_checkpoint_round_trips(checkpoint: Checkpoint) -> None:
    log = NoteSigner(ORIGIN, LOG_KEY)
    assert verify_checkpoint(sign_checkpoint(checkpoint, log), log.verifier) == checkpoint


@given(checkpoints, st.data())
def test_every_one_character_change_is_refused(checkpoint: Checkpoint, data: st.DataObject) -> None:
    log = NoteSigner(ORIGIN, LOG_KEY)
    note = sign_checkpoint(checkpoint, log)
    i = data.draw(st.integers(min_value=0, max_value=len(note) - 1), label="position")
    c = data.draw(st.characters(exclude_characters=note[i], exclude_categories=["Cs"]))
    with pytest.raises(InvalidCheckpointError):
        verify_checkpoint(note[:i] + c + note[i + 1 :], log.verifier)
