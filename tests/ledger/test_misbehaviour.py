"""Misbehaviour proofs (docs/formats.md §12), on trees built in memory: every fork between two
sizes is proven, consistent pairs never are, and edited or foreign proofs are refused."""

from __future__ import annotations

import hashlib

import pytest

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.errors import InvalidProofError, MisbehaviourError
from ledger.merkle import consistency_path, consistency_roots, root, verify_consistency
from ledger.misbehaviour import (
    HEADER,
    MisbehaviourProof,
    fork_nodes,
    make_proof,
    parse_proof,
    verify_proof,
)
from ledger.note import NoteSigner

ORIGIN = "misbehaviour.coopledger.example/log"
SIGNER = NoteSigner.generate(ORIGIN)
VERIFIER = SIGNER.verifier


def _leaves(tag: bytes, n: int) -> list[bytes]:
    return [hashlib.sha256(tag + i.to_bytes(4, "big")).digest() for i in range(n)]


HONEST = _leaves(b"a", 16)


def _forked(at: int) -> list[bytes]:
    return HONEST[:at] + _leaves(b"b", 16 - at)


def _note(leaves: list[bytes], signer: NoteSigner = SIGNER) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, len(leaves), root(leaves)), signer)


def _proof(smaller: list[bytes], larger: list[bytes], signer: NoteSigner = SIGNER) -> str:
    """The proof an auditor writes holding ``smaller`` and downloading ``larger``."""
    size1 = len(smaller)
    nodes = ()
    if size1 < len(larger):
        path = consistency_path(larger, size1)
        nodes = fork_nodes(size1, path, root(larger[:size1]))
    proof = make_proof(signer.verifier, _note(smaller, signer), _note(larger, signer), nodes)
    return proof.render()


PAIRS = [(a, b) for b in range(2, 13) for a in range(1, b)]


@pytest.mark.parametrize(("size1", "size2"), PAIRS)
def test_every_fork_between_two_sizes_is_proven(size1: int, size2: int) -> None:
    text = _proof(HONEST[:size1], _forked(size1 - 1)[:size2])
    fork = verify_proof(parse_proof(text), VERIFIER)
    assert (fork.first.size, fork.second.size) == (size1, size2)
    assert fork.prefix_root == root(_forked(size1 - 1)[:size1]) != root(HONEST[:size1])
    assert parse_proof(text.encode("utf-8")).render() == text


@pytest.mark.parametrize(("size1", "size2"), PAIRS)
def test_consistent_checkpoints_prove_nothing(size1: int, size2: int) -> None:
    with pytest.raises(MisbehaviourError, match="consistent: no misbehaviour"):
        verify_proof(parse_proof(_proof(HONEST[:size1], HONEST[:size2])))


@pytest.mark.parametrize(("size1", "size2"), PAIRS)
def test_the_fold_matches_the_rfc_verifier(size1: int, size2: int) -> None:
    path = consistency_path(HONEST[:size2], size1)
    nodes = fork_nodes(size1, path, root(HONEST[:size1]))
    first, second = consistency_roots(size1=size1, size2=size2, nodes=nodes)
    assert (first, second) == (root(HONEST[:size1]), root(HONEST[:size2]))
    verify_consistency(size1=size1, size2=size2, root1=first, root2=second, path=path)
    with pytest.raises(InvalidProofError, match="path has"):
        consistency_roots(size1=size1, size2=size2, nodes=nodes[:-1])


def test_two_roots_for_one_size_are_a_fork() -> None:
    text = _proof(HONEST[:5], _forked(2)[:5])
    assert text.startswith(f"{HEADER}\nlog {VERIFIER.vkey()}\nsizes 5 5\n\n")
    assert "with another root" in verify_proof(parse_proof(text)).summary()
    with pytest.raises(MisbehaviourError, match="same tree"):
        verify_proof(parse_proof(_proof(HONEST[:5], HONEST[:5])))


def test_the_format_byte_for_byte() -> None:
    text = _proof(HONEST[:3], _forked(1)[:6])
    proof = parse_proof(text)
    lines = text.split("\n")
    assert lines[:3] == [HEADER, f"log {VERIFIER.vkey()}", "sizes 3 6"]
    assert len(proof.nodes) == len(consistency_path(_forked(1)[:6], 3))  # 3 is no power of 2
    assert text == (
        f"{HEADER}\nlog {VERIFIER.vkey()}\nsizes 3 6\n"
        + "".join(f"{line}\n" for line in lines[3 : 3 + len(proof.nodes)])
        + f"\n{proof.first}\n{proof.second}"
    )


def _edits(text: str) -> list[str]:
    lines = text.split("\n")
    hashed = list(lines)
    hashed[3] = "A" * 43 + "="
    return [
        "\n".join(hashed),  # a hash replaced
        text.replace("sizes 3 6", "sizes 3 7"),  # sizes not the notes'
        text.replace(HEADER, "coopledger/misbehaviour/v2"),
        text + "\n",  # trailing bytes
        text.replace("\n\n", "\n", 1),  # no empty line after the hashes
        "\n".join(lines[:3] + lines[4:]),  # a hash left out
    ]


@pytest.mark.parametrize("index", range(6))
def test_an_edited_proof_is_refused(index: int) -> None:
    text = _proof(HONEST[:3], _forked(1)[:6])
    with pytest.raises(MisbehaviourError):
        verify_proof(parse_proof(_edits(text)[index]))


def test_a_proof_about_another_key_or_with_swapped_notes_is_refused() -> None:
    other = NoteSigner.generate(ORIGIN)
    text = _proof(HONEST[:3], _forked(1)[:6], other)
    verify_proof(parse_proof(text))  # proves the other log's fork
    with pytest.raises(MisbehaviourError, match="not the one given"):
        verify_proof(parse_proof(text), VERIFIER)
    proof = parse_proof(_proof(HONEST[:3], _forked(1)[:6]))
    swapped = MisbehaviourProof(proof.log_key, proof.second, proof.first, 3, 6, proof.nodes)
    with pytest.raises(MisbehaviourError, match="sizes"):
        verify_proof(parse_proof(swapped.render()))
    mixed = MisbehaviourProof(proof.log_key, proof.first, _note(HONEST[:6], other), 3, 6)
    with pytest.raises(MisbehaviourError, match="does not verify"):
        verify_proof(parse_proof(mixed.render()))
    with pytest.raises(MisbehaviourError, match="UTF-8"):
        parse_proof(b"\xff")
