"""The witness's logic (C2SP tlog-witness v1.0.0) on real trees, keys and state directories:
every refusal, what is stored and when, restarts, the lock, and forks raced from threads."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.cosignature import Cosigner, open_cosignatures, with_cosignatures
from ledger.errors import (
    BadWitnessRequestError,
    InconsistentCheckpointError,
    SizeConflictError,
    UnknownLogError,
    UntrustedCheckpointError,
    WitnessError,
    WitnessStateError,
)
from ledger.merkle import consistency_path, hash_leaf, root
from ledger.note import NoteSigner, sign_note
from ledger.witness import (
    EMPTY_ROOT,
    MAX_PROOF_LINES,
    MAX_REQUEST_SIZE,
    Witness,
    format_add_checkpoint,
    parse_add_checkpoint,
)
from ledger.witness_state import LOGS_DIR, StateDirectory, log_file_name

ORIGIN = "example.org/log"
MakeWitness = Callable[..., "Witness"]
NOW = 1_700_000_000


@dataclass
class Log:
    """A log's entries and key: signs checkpoints and proves consistency, as a real log."""

    signer: NoteSigner
    tag: bytes = b"a"
    leaves: list[bytes] = field(default_factory=list)

    def grow(self, size: int) -> None:
        while len(self.leaves) < size:
            self.leaves.append(hash_leaf(self.tag + b"%d" % len(self.leaves)))

    def note(self, size: int) -> str:
        self.grow(size)
        return sign_checkpoint(
            Checkpoint(self.signer.name, size, root(self.leaves[:size])), self.signer
        )

    def request(self, old: int, size: int) -> bytes:
        self.grow(size)
        proof = consistency_path(self.leaves[:size], old) if 0 < old < size else []
        return format_add_checkpoint(old, proof, self.note(size))


@dataclass
class Clock:
    now: int = NOW

    def __call__(self) -> float:
        return float(self.now)


@pytest.fixture
def log() -> Log:
    return Log(NoteSigner.generate(ORIGIN))


@pytest.fixture
def cosigner() -> Cosigner:
    return Cosigner.generate("witness.example.org")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def opened(tmp_path: Path) -> Iterator[list[StateDirectory]]:
    """State directories opened by a test, closed after it."""
    held: list[StateDirectory] = []
    yield held
    for directory in held:
        directory.close()


@pytest.fixture
def make_witness(
    tmp_path: Path,
    log: Log,
    cosigner: Cosigner,
    clock: Clock,
    opened: list[StateDirectory],
) -> MakeWitness:
    def make(state: Path = tmp_path / "state", *, logs: list[NoteSigner] | None = None) -> Witness:
        directory = StateDirectory(state)
        opened.append(directory)
        verifiers = [s.verifier for s in (logs or [log.signer])]
        return Witness(cosigner, verifiers, directory, clock=clock)

    return make


@pytest.fixture
def witness(make_witness: MakeWitness) -> Witness:
    return make_witness()


def state_bytes(tmp_path: Path, origin: str = ORIGIN) -> bytes | None:
    path = tmp_path / "state" / LOGS_DIR / log_file_name(origin)
    return path.read_bytes() if path.exists() else None


# Parsing the request


def test_a_request_round_trips(log: Log) -> None:
    request = parse_add_checkpoint(log.request(3, 7))
    assert request.old_size == 3
    assert list(request.proof) == consistency_path(log.leaves[:7], 3)
    assert request.note == log.note(7)


def _bad_bodies(note: str) -> dict[str, bytes]:
    h = "A" * 43 + "="
    return {
        "no empty line": f"old 0\n{note}".encode(),
        "leading zero": f"old 01\n\n{note}".encode(),
        "negative": f"old -1\n\n{note}".encode(),
        "two spaces": f"old  1\n\n{note}".encode(),
        "capital": f"Old 1\n\n{note}".encode(),
        "carriage return": f"old 1\r\n\n{note}".encode(),
        "past uint64": f"old {2**64}\n\n{note}".encode(),
        "no old line": f"\n{note}".encode(),
        "64 proof lines": (f"old 1\n{(h + chr(10)) * (MAX_PROOF_LINES + 1)}\n{note}").encode(),
        "proof not base64": f"old 1\n{'!' * 44}\n\n{note}".encode(),
        "proof not canonical": f"old 1\n{'A' * 42}B=\n\n{note}".encode(),
        "proof 31 bytes": f"old 1\n{'A' * 40}AA==\n\n{note}".encode(),
        "not utf-8": b"old 0\n\n\xff" + note.encode(),
        "too large": b"old 0\n\n" + note.encode() + b"x" * MAX_REQUEST_SIZE,
    }


@pytest.mark.parametrize("case", list(_bad_bodies("x")))
def test_a_malformed_request_is_400_and_stores_nothing(
    witness: Witness, log: Log, tmp_path: Path, case: str
) -> None:
    with pytest.raises(BadWitnessRequestError):
        witness.add_checkpoint(_bad_bodies(log.note(1))[case])
    assert state_bytes(tmp_path) is None


def test_at_most_63_proof_lines_are_parsed(log: Log) -> None:
    body = format_add_checkpoint(1, [b"\x00" * 32] * MAX_PROOF_LINES, log.note(1))
    assert len(parse_add_checkpoint(body).proof) == MAX_PROOF_LINES


@pytest.mark.parametrize(
    "note",
    [
        "example.org/log\n1\n" + "A" * 43 + "=\n",  # no signatures
        "example.org/log\n1\n" + "A" * 43 + "=\n\n— example.org/log !!!!\n",
        "example.org/log\n01\n" + "A" * 43 + "=\n\n— example.org/log AAAAAAA=\n",
        "only one line\n\n— example.org/log AAAAAAA=\n",
    ],
    ids=["unsigned", "bad signature base64", "size not canonical", "not a checkpoint"],
)
def test_a_malformed_checkpoint_is_400(witness: Witness, note: str) -> None:
    with pytest.raises(BadWitnessRequestError):
        witness.add_checkpoint(format_add_checkpoint(0, [], note))


# Origin and signatures


def test_an_unknown_origin_is_404(witness: Witness, tmp_path: Path) -> None:
    other = Log(NoteSigner.generate("other.example/log"))
    with pytest.raises(UnknownLogError):
        witness.add_checkpoint(other.request(0, 3))
    assert state_bytes(tmp_path, "other.example/log") is None


def test_a_tampered_signature_is_403(witness: Witness, log: Log, tmp_path: Path) -> None:
    note = log.note(3)
    text, _, line = note.rpartition("\n— ")
    name, raw = line.split(" ")
    flipped = raw[:10] + ("A" if raw[10] != "A" else "B") + raw[11:]
    with pytest.raises(UntrustedCheckpointError):
        witness.add_checkpoint(format_add_checkpoint(0, [], f"{text}\n— {name} {flipped}"))
    assert state_bytes(tmp_path) is None


def test_a_tampered_checkpoint_is_403(witness: Witness, log: Log) -> None:
    note = log.note(3).replace("\n3\n", "\n4\n", 1)
    with pytest.raises(UntrustedCheckpointError):
        witness.add_checkpoint(format_add_checkpoint(0, [], note))


def test_a_signature_by_another_key_of_the_same_name_is_403(witness: Witness) -> None:
    impostor = Log(NoteSigner.generate(ORIGIN))
    with pytest.raises(UntrustedCheckpointError):
        witness.add_checkpoint(impostor.request(0, 3))


def test_unknown_signatures_are_ignored_and_not_stored(witness: Witness, log: Log) -> None:
    stranger = NoteSigner.generate("stranger.example")
    log.grow(2)
    text = Checkpoint(ORIGIN, 2, root(log.leaves[:2])).body()
    note = sign_note(text, [stranger, log.signer])
    line = witness.add_checkpoint(format_add_checkpoint(0, [], note))
    latest = witness.latest(ORIGIN)
    assert latest is not None
    assert "stranger.example" not in latest.note
    assert latest.note == with_cosignatures(log.note(2), [line])


def test_either_of_two_keys_of_one_origin_is_trusted(make_witness: MakeWitness, log: Log) -> None:
    rotated = Log(NoteSigner.generate(ORIGIN), leaves=log.leaves)
    witness = make_witness(logs=[log.signer, rotated.signer])
    witness.add_checkpoint(log.request(0, 2))
    witness.add_checkpoint(rotated.request(2, 5))
    assert witness.latest(ORIGIN).size == 5


# Sizes, roots and proofs


def test_the_first_checkpoint_is_cosigned_and_verifies(
    witness: Witness, log: Log, cosigner: Cosigner, tmp_path: Path
) -> None:
    line = witness.add_checkpoint(log.request(0, 5))
    assert line.startswith("— witness.example.org ") and line.endswith("\n")
    assert line.count("\n") == 1
    body, found = open_cosignatures(with_cosignatures(log.note(5), [line]), [cosigner.verifier])
    assert body == Checkpoint(ORIGIN, 5, root(log.leaves)).body()
    assert [(c.witness, c.timestamp, c.line) for c in found] == [(cosigner.verifier, NOW, line)]
    assert state_bytes(tmp_path) == with_cosignatures(log.note(5), [line]).encode()


def test_a_consistent_checkpoint_is_cosigned_and_becomes_the_state(
    witness: Witness, log: Log
) -> None:
    witness.add_checkpoint(log.request(0, 3))
    for old, new in [(3, 4), (4, 8), (8, 13)]:
        witness.add_checkpoint(log.request(old, new))
        latest = witness.latest(ORIGIN)
        assert latest is not None
        assert (latest.size, latest.root) == (new, root(log.leaves[:new]))


def test_old_size_larger_than_the_checkpoint_is_400(witness: Witness, log: Log) -> None:
    witness.add_checkpoint(log.request(0, 5))
    with pytest.raises(BadWitnessRequestError, match="larger"):
        witness.add_checkpoint(format_add_checkpoint(5, [], log.note(4)))


@pytest.mark.parametrize("old", [1, 3, 6])
def test_an_old_size_that_is_not_the_latest_is_409_with_that_size(
    witness: Witness, log: Log, tmp_path: Path, old: int
) -> None:
    witness.add_checkpoint(log.request(0, 4))
    before = state_bytes(tmp_path)
    with pytest.raises(SizeConflictError) as caught:
        witness.add_checkpoint(log.request(old, 9))
    assert caught.value.size == 4
    assert state_bytes(tmp_path) == before


def test_a_new_log_answers_409_with_size_0(witness: Witness, log: Log) -> None:
    with pytest.raises(SizeConflictError) as caught:
        witness.add_checkpoint(log.request(2, 5))
    assert caught.value.size == 0


def test_old_0_with_a_proof_is_422(witness: Witness, log: Log) -> None:
    with pytest.raises(InconsistentCheckpointError):
        witness.add_checkpoint(format_add_checkpoint(0, [b"\x00" * 32], log.note(3)))
    assert witness.latest(ORIGIN) is None


def test_an_empty_checkpoint_needs_the_empty_root(witness: Witness, log: Log) -> None:
    wrong = sign_checkpoint(Checkpoint(ORIGIN, 0, b"\x01" * 32), log.signer)
    with pytest.raises(InconsistentCheckpointError):
        witness.add_checkpoint(format_add_checkpoint(0, [], wrong))
    witness.add_checkpoint(format_add_checkpoint(0, [], log.note(0)))
    assert witness.latest(ORIGIN).root == EMPTY_ROOT
    witness.add_checkpoint(log.request(0, 2))  # from the empty tree, no proof is needed
    assert witness.latest(ORIGIN).size == 2


def test_a_proof_that_fails_is_422_and_changes_nothing(
    witness: Witness, log: Log, tmp_path: Path
) -> None:
    witness.add_checkpoint(log.request(0, 5))
    before = state_bytes(tmp_path)
    good = parse_add_checkpoint(log.request(5, 11))
    for proof in (
        [b"\x00" * 32, *good.proof[1:]],  # a wrong hash
        list(good.proof[:-1]),  # one short
        [*good.proof, b"\x00" * 32],  # one too many
        [],
    ):
        with pytest.raises(InconsistentCheckpointError):
            witness.add_checkpoint(format_add_checkpoint(5, proof, log.note(11)))
        assert state_bytes(tmp_path) == before
    witness.add_checkpoint(log.request(5, 11))


def test_the_same_checkpoint_is_cosigned_again(
    witness: Witness, log: Log, clock: Clock, cosigner: Cosigner, tmp_path: Path
) -> None:
    first = witness.add_checkpoint(log.request(0, 6))
    clock.now += 60
    again = witness.add_checkpoint(log.request(6, 6))
    assert again != first
    _, found = open_cosignatures(with_cosignatures(log.note(6), [again]), [cosigner.verifier])
    assert found[0].timestamp == NOW + 60
    assert state_bytes(tmp_path) == with_cosignatures(log.note(6), [again]).encode()


def test_the_same_size_with_another_root_is_409(witness: Witness, log: Log) -> None:
    witness.add_checkpoint(log.request(0, 6))
    fork = Log(log.signer, tag=b"b")
    with pytest.raises(SizeConflictError) as caught:
        witness.add_checkpoint(fork.request(6, 6))
    assert caught.value.size == 6


def test_the_same_size_with_a_proof_is_422(witness: Witness, log: Log) -> None:
    witness.add_checkpoint(log.request(0, 6))
    with pytest.raises(InconsistentCheckpointError):
        witness.add_checkpoint(format_add_checkpoint(6, [b"\x00" * 32], log.note(6)))


def test_a_fork_is_refused(witness: Witness, log: Log) -> None:
    """A log that shows the witness two histories under one key gets only the first cosigned."""
    fork = Log(log.signer, tag=b"b")
    witness.add_checkpoint(log.request(0, 4))
    with pytest.raises(InconsistentCheckpointError):
        witness.add_checkpoint(fork.request(4, 9))


# State: restarts, the lock, corruption


def test_the_state_survives_a_restart(
    make_witness: MakeWitness, log: Log, opened: list[StateDirectory], tmp_path: Path
) -> None:
    first = make_witness()
    first.add_checkpoint(log.request(0, 3))
    first.add_checkpoint(log.request(3, 7))
    stored = first.latest(ORIGIN)
    opened.pop().close()
    second = make_witness()
    assert second.latest(ORIGIN) == stored
    with pytest.raises(SizeConflictError) as caught:
        second.add_checkpoint(log.request(3, 9))
    assert caught.value.size == 7
    second.add_checkpoint(log.request(7, 9))


def test_two_processes_never_share_a_state_directory(tmp_path: Path) -> None:
    with StateDirectory(tmp_path / "state"):
        with pytest.raises(WitnessStateError, match="in use"):
            StateDirectory(tmp_path / "state")
        probe = (
            "import sys; from pathlib import Path\n"
            "from ledger.witness_state import StateDirectory\n"
            "from ledger.errors import WitnessStateError\n"
            "try: StateDirectory(Path(sys.argv[1]))\n"
            "except WitnessStateError: sys.exit(3)\n"
        )
        other = subprocess.run(  # noqa: S603 (our own interpreter)
            [sys.executable, "-c", probe, str(tmp_path / "state")], check=False
        )
        assert other.returncode == 3
    StateDirectory(tmp_path / "state").close()  # released on close


def test_a_corrupt_state_file_is_refused(witness: Witness, log: Log, tmp_path: Path) -> None:
    path = tmp_path / "state" / LOGS_DIR / log_file_name(ORIGIN)
    path.write_text("not a note\n")
    with pytest.raises(WitnessStateError):
        witness.add_checkpoint(log.request(0, 3))
    assert path.read_text() == "not a note\n"


def test_a_state_file_of_another_origin_is_refused(
    witness: Witness, log: Log, tmp_path: Path
) -> None:
    other = Log(NoteSigner.generate("other.example/log"))
    path = tmp_path / "state" / LOGS_DIR / log_file_name(ORIGIN)
    path.write_text(other.note(2))
    with pytest.raises(WitnessStateError, match="another origin"):
        witness.add_checkpoint(log.request(0, 3))


def test_an_interrupted_write_leaves_the_old_state(
    make_witness: MakeWitness, log: Log, opened: list[StateDirectory], tmp_path: Path
) -> None:
    first = make_witness()
    first.add_checkpoint(log.request(0, 3))
    before = state_bytes(tmp_path)
    opened.pop().close()
    logs = tmp_path / "state" / LOGS_DIR
    leftover = logs / f".{log_file_name(ORIGIN)}.tmp"
    leftover.write_text("half a no")
    second = make_witness()
    assert not leftover.exists()
    assert state_bytes(tmp_path) == before
    assert second.latest(ORIGIN).size == 3


# Concurrency


def _race(witness: Witness, bodies: list[bytes]) -> list[str | WitnessError]:
    """Send ``bodies`` at once from threads; each thread's line or refusal."""
    barrier = threading.Barrier(len(bodies))
    results: list[str | WitnessError] = [""] * len(bodies)

    def send(i: int) -> None:
        barrier.wait()
        try:
            results[i] = witness.add_checkpoint(bodies[i])
        except WitnessError as e:
            results[i] = e

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.parametrize("round_", range(10))
def test_two_forks_raced_get_at_most_one_cosignature(
    make_witness: MakeWitness, tmp_path: Path, round_: int
) -> None:
    signer = NoteSigner.generate(ORIGIN)
    a, b = Log(signer, tag=b"a"), Log(signer, tag=b"b")
    witness = make_witness(tmp_path / f"state{round_}", logs=[signer])
    witness.add_checkpoint(a.request(0, 2))
    b.leaves = list(a.leaves)  # the same first two entries, then different ones
    results = _race(witness, [a.request(2, 5), b.request(2, 5)])
    cosigned = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if not isinstance(r, str)]
    assert len(cosigned) == 1
    assert isinstance(refused[0], SizeConflictError | InconsistentCheckpointError)
    winner = a if results[0] is cosigned[0] else b
    assert witness.latest(ORIGIN).root == root(winner.leaves[:5])


def test_racing_growing_checkpoints_never_roll_back(witness: Witness, log: Log) -> None:
    """The race of tlog-witness: a smaller checkpoint checked at once with a larger one
    must not replace it."""
    witness.add_checkpoint(log.request(0, 10))
    results = _race(witness, [log.request(10, size) for size in range(11, 19)])
    cosigned = [r for r in results if isinstance(r, str)]
    assert len(cosigned) == 1
    assert all(isinstance(r, str | SizeConflictError) for r in results)
    sizes = [s for s, r in zip(range(11, 19), results, strict=True) if isinstance(r, str)]
    assert witness.latest(ORIGIN).size == sizes[0]
