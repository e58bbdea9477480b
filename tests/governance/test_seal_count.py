"""Pure sealing, key files, and the count of one proposal with superseded and spoiled ballots."""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from nacl.public import PrivateKey, PublicKey, SealedBox

from governance import client
from governance.errors import (
    ResultsHiddenError,
    SealKeyError,
    SealMismatchError,
    SpoiledBallotError,
)
from governance.opening import Opening, parse_opening
from governance.seal import SealKeyStore, check_key_pair, open_ballot, seal_ballot
from governance.tally.proposal_count import CastBallot, count_proposal
from ledger.encoding import canonical_json

T0 = datetime(2025, 3, 20, 12, 0, tzinfo=UTC)
PRIVATE = bytes(PrivateKey.generate())
PUBLIC = bytes(PrivateKey(PRIVATE).public_key)


def test_seal_and_open() -> None:
    ballot = {"ranking": [1, 0]}
    sealed = seal_ballot(public_key=PUBLIC, proposal=7, member="ana", ballot=ballot)
    assert open_ballot(private_key=PRIVATE, sealed=sealed, proposal=7, member="ana") == ballot
    with pytest.raises(SpoiledBallotError, match="another proposal or voter"):
        open_ballot(private_key=PRIVATE, sealed=sealed, proposal=7, member="ben")
    with pytest.raises(SpoiledBallotError, match="another proposal or voter"):
        open_ballot(private_key=PRIVATE, sealed=sealed, proposal=8, member="ana")
    with pytest.raises(SpoiledBallotError, match="does not decrypt"):
        open_ballot(
            private_key=bytes(PrivateKey.generate()), sealed=sealed, proposal=7, member="ana"
        )
    loose = SealedBox(PublicKey(PUBLIC)).encrypt(b'{"member": "ana"}')
    with pytest.raises(SpoiledBallotError, match="not canonical JSON"):
        open_ballot(private_key=PRIVATE, sealed=loose, proposal=7, member="ana")
    check_key_pair(private_key=PRIVATE, public_key=PUBLIC)
    with pytest.raises(SealMismatchError):
        check_key_pair(private_key=bytes(32), public_key=PUBLIC)


def test_key_store(tmp_path: Path) -> None:
    store = SealKeyStore(tmp_path / "keys")
    public = store.create()
    path = tmp_path / "keys" / f"{public.hex()}.seal"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct((tmp_path / "keys").stat().st_mode & 0o777) == "0o700"
    private = store.private_key(public)
    check_key_pair(private_key=private, public_key=public)
    assert private.hex() not in repr(store) and "private" not in repr(store)
    with pytest.raises(SealKeyError, match="no seal key file"):
        store.private_key(PUBLIC)
    os.chmod(path, 0o644)
    with pytest.raises(SealKeyError, match="readable by others"):
        store.private_key(public)
    os.chmod(path, 0o600)
    path.write_text('{"type": "other"}')
    with pytest.raises(SealKeyError, match="not a coopledger-seal"):
        store.private_key(public)


def _opening(hidden: bool) -> Opening:
    return parse_opening(
        client.open_proposal(
            group="g",
            title="t",
            body_text="b",
            method="irv",
            options=["a", "b", "c"],
            electorate=["ana", "ben", "cat"],
            opens_at=T0,
            closes_at=T0 + timedelta(days=1),
            seal_key=PUBLIC if hidden else None,
        )
    )


def test_count_latest_superseded_and_spoiled() -> None:
    opening = _opening(hidden=False)
    ballots = [
        CastBallot(11, "ana", {"ranking": [2]}, None),
        CastBallot(10, "ben", {"ranking": [0]}, None),
        CastBallot(12, "ben", {"ranking": [1, 0]}, None),
        CastBallot(13, "cat", {"ranking": [5]}, None),
        CastBallot(14, "zed", {"ranking": [0]}, None),
    ]
    count = count_proposal(opening, proposal=9, seed=b"s", ballots=reversed(ballots))
    assert [(c.member, c.seq) for c in count.counted] == [("ana", 11), ("ben", 12)]
    assert [(s.member, s.reason) for s in count.spoiled] == [
        ("cat", "invalid_ballot"),
        ("zed", "not_in_electorate"),
    ]
    assert count.transcript["superseded"] == [10]
    assert count.result.spoiled == 2 and count.result.ballots == 2
    assert count.transcript_sha256 == hashlib.sha256(canonical_json(count.transcript)).hexdigest()
    # a proposal opened at version 1 is counted as it was: the reason is the check's message
    old = replace(opening, rules=replace(opening.rules, algorithm="irv/1"))
    count = count_proposal(old, proposal=9, seed=b"s", ballots=ballots)
    assert [(s.member, s.reason) for s in count.spoiled] == [
        ("cat", "invalid for irv: ranking entry 5 is not an option (options are 0 to 2)"),
        ("zed", "zed is not in the electorate"),
    ]
    assert count.transcript["algorithm"] == count.tally.algorithm == "irv/1"


def test_count_hidden_needs_the_published_key() -> None:
    opening = _opening(hidden=True)
    sealed = seal_ballot(public_key=PUBLIC, proposal=9, member="ana", ballot={"ranking": [1]})
    ballots = [CastBallot(10, "ana", None, sealed)]
    with pytest.raises(ResultsHiddenError):
        count_proposal(opening, proposal=9, seed=b"s", ballots=ballots)
    count = count_proposal(opening, proposal=9, seed=b"s", ballots=ballots, private_key=PRIVATE)
    assert count.result.winner == 1
    assert count.transcript["counted"] == [{"member": "ana", "seq": 10, "ballot": {"ranking": [1]}}]


def test_a_sealed_plaintext_binds_an_integer_proposal_not_true() -> None:
    """JSON ``true`` is not the integer 1 (though Python says ``True == 1``): a plaintext that
    names ``"proposal": true`` is bound to no proposal, so the ballot is spoiled."""
    plaintext = b'{"ballot":{"choice":"agree"},"member":"ana","proposal":true}'
    sealed = bytes(SealedBox(PublicKey(PUBLIC)).encrypt(plaintext))
    with pytest.raises(SpoiledBallotError, match="another proposal or voter"):
        open_ballot(private_key=PRIVATE, sealed=sealed, proposal=1, member="ana")
    honest = seal_ballot(public_key=PUBLIC, proposal=1, member="ana", ballot={"choice": "agree"})
    assert open_ballot(private_key=PRIVATE, sealed=honest, proposal=1, member="ana") == {
        "choice": "agree"
    }
