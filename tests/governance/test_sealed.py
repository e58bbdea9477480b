"""Hidden results: sealed ballots reveal nothing before close, everything after, and recount."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from governance import client, reports
from governance.bodies import CloseBody
from governance.errors import ResultsHiddenError, SealMismatchError
from governance.seal import SealKeyStore, seal_ballot
from ledger.encoding import b64encode
from ledger.errors import MalformedStatementError
from tests.conftest import SQL_BACKENDS
from tests.governance.world import governance_world

pytestmark = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)

CAST = "governance.vote.cast"
CLOSE = "governance.proposal.closed"
OPTIONS = ["Shared measures", "Meet-the-Buyer", "Open register"]


@pytest.mark.parametrize("algorithm", ["irv/2", "irv/1"])
async def test_sealed_ballots(database_url: str, tmp_path: Path, algorithm: str) -> None:
    """At version 2 a transcript names why a ballot is spoiled by code; a proposal opened at
    version 1 (an older log, or an older client) is counted and recounted as it always was."""
    async with governance_world(database_url, tmp_path) as g:
        await g.group(convenor="ana", members=["ben", "cat", "dan", "fay"])
        body = await g.open_body(method="irv", options=OPTIONS, hidden=True)
        body = {**body, "rules": {**body["rules"], "algorithm": algorithm}}
        seq = await g.submit("ana", "governance.proposal.opened", body)
        key = (await g.proposal(seq)).opening.seal_key
        assert key is not None
        key_file = tmp_path / "seal" / f"{key.hex()}.seal"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

        await g.vote("ben", seq, client.ranked_ballot([0, 1]))
        await g.vote("ben", seq, client.ranked_ballot([1, 0]))  # changed before close
        await g.vote("cat", seq, client.ranked_ballot([1]))
        await g.vote("ana", seq, client.ranked_ballot([2, 0]))
        copied = (await g.ballots(seq))[1].sealed  # ben's latest ciphertext, replayed by dan
        assert copied is not None
        await g.submit("dan", CAST, {"proposal": seq, "sealed": b64encode(copied)})
        bad = seal_ballot(public_key=key, proposal=seq, member="fay", ballot={"ranking": [0, 0]})
        await g.submit("fay", CAST, {"proposal": seq, "sealed": b64encode(bad)})

        # before close: who voted is visible, what they voted is not, anywhere
        assert all(b.ballot is None for b in await g.ballots(seq))
        rows = await g.store.entries(seq, await g.size())
        assert not any(b"ranking" in row.data for row in rows)
        async with g.read() as conn:
            for read in (
                reports.results,
                reports.ballots_csv,
                reports.ballots_blt,
                reports.transcript_json,
            ):
                with pytest.raises(ResultsHiddenError, match="hides its"):
                    await read(conn, seq)
            reminder = await reports.reminders(conn, seq)
        assert (reminder.voted, reminder.not_voted, reminder.agree_needed) == (5, (), None)

        unsealed = CloseBody(proposal=seq, reason="all_voted").to_json()
        await g.refused("ana", CLOSE, unsealed, MalformedStatementError, "publishes its seal_priv")
        other = SealKeyStore(tmp_path / "other")
        wrong = other.private_key(other.create())
        body = CloseBody(proposal=seq, reason="all_voted", seal_private_key=wrong).to_json()
        await g.refused("ana", CLOSE, body, SealMismatchError, "not the one the proposal")
        await g.close(seq, reason="all_voted")

        # after close: every ballot opens, spoiled ones are shown, anyone can recount
        revealed = {b.seq: (b.member, b.ballot, b.spoiled) for b in await g.ballots(seq)}
        assert [v[1] for v in revealed.values()][:4] == [
            {"ranking": [0, 1]},
            {"ranking": [1, 0]},
            {"ranking": [1]},
            {"ranking": [2, 0]},
        ]
        spoiled = {m: reason for m, _, reason in revealed.values() if reason}
        assert spoiled.keys() == {"dan", "fay"}
        assert "another proposal or voter" in spoiled["dan"]
        assert "invalid for irv" in spoiled["fay"]
        opened = {m: ballot for m, ballot, reason in revealed.values() if reason}
        assert opened == {"dan": {"ranking": [1, 0]}, "fay": {"ranking": [0, 0]}}  # as they open
        await g.decide(seq)
        count = await g.results(seq)
        assert count.result.to_json() == {
            "outcome": "winner",
            "winner": 1,
            "passed": None,
            "counts": [0, 2, 1],
            "ballots": 3,
            "spoiled": 2,
        }
        assert [s.member for s in count.spoiled] == ["dan", "fay"]
        assert [s.reason for s in count.spoiled] == (
            ["wrong_binding", "invalid_ballot"]
            if algorithm == "irv/2"
            else [spoiled["dan"], spoiled["fay"]]  # the English messages, as version 1 wrote
        )
        assert count.transcript["algorithm"] == count.tally.algorithm == algorithm
        assert count.transcript["spoiled"] == [
            {"member": s.member, "seq": s.seq, "reason": s.reason} for s in count.spoiled
        ]
        report = await reports.recount_store(g.store)
        report.check()
        assert report.decisions[0].count == count
