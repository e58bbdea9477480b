"""Exports: ballots CSV, ranked ballots as BLT (checked by hand), the transcript as JSON."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest

from governance import client, reports
from governance.errors import InvalidRulesError
from tests.conftest import SQL_BACKENDS
from tests.governance.world import governance_world

pytestmark = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)


async def test_exports(database_url: str, tmp_path: Path) -> None:
    async with governance_world(database_url, tmp_path) as g:
        await g.group(convenor="ana", members=["ben", "cat"])
        options = ["Alpha", 'Beta "B"', "Gamma"]
        seq = await g.open(method="irv", options=options, title="Pick one")
        await g.vote("ben", seq, client.ranked_ballot([2]))
        await g.vote("cat", seq, client.ranked_ballot([2]))
        await g.vote("ana", seq, client.ranked_ballot([0, 1]))
        await g.vote("ben", seq, client.ranked_ballot([1, 0]))  # supersedes ben's first
        await g.close(seq)
        decision = await g.decide(seq)
        async with g.read() as conn:
            blt = await reports.ballots_blt(conn, seq)
            rows = list(csv.DictReader(io.StringIO(await reports.ballots_csv(conn, seq))))
            transcript = await reports.transcript_json(conn, seq)
        # by hand: three candidates, one seat; one line per counted ballot in member order
        # (ana: Alpha > Beta; ben: Beta > Alpha; cat: Gamma), candidates numbered from 1
        assert blt.splitlines() == [
            "3 1",
            "1 1 2 0",
            "1 2 1 0",
            "1 3 0",
            "0",
            '"Alpha"',
            "\"Beta 'B'\"",
            '"Gamma"',
            '"Pick one"',
        ]
        assert blt.endswith("\n")
        assert [(r["member"], r["status"], r["ballot"]) for r in rows] == [
            ("ben", "superseded", '{"ranking":[2]}'),
            ("cat", "counted", '{"ranking":[2]}'),
            ("ana", "counted", '{"ranking":[0,1]}'),
            ("ben", "counted", '{"ranking":[1,0]}'),
        ]
        assert rows[0]["seq"] == str(seq + 1) and rows[0]["proposal"] == str(seq)
        entry = (await g.store.entries(decision, decision + 1))[0].data
        logged = json.loads(entry)["statement"]["body"]["transcript_sha256"]
        assert hashlib.sha256(transcript).hexdigest() == logged
        parsed = json.loads(transcript)
        assert parsed["superseded"] == [seq + 1]
        assert parsed["tally"]["counts"] == [1, 1, 1]

        single = await g.open(method="single", options=["x", "y"])
        async with g.read() as conn:
            with pytest.raises(InvalidRulesError, match="BLT holds ranked ballots"):
                await reports.ballots_blt(conn, single)
