"""Every voting method end to end through the log: open, vote, close, decide, recount."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from governance import client, reports
from governance.records import DECIDED
from tests.conftest import SQL_BACKENDS
from tests.governance.world import governance_world

pytestmark = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)

VOTERS = ("ana", "ben", "cat", "dan", "fay")
ABC = ["Shared social value measures", "Meet-the-Buyer with three councils", "Open register"]
R = client.ranked_ballot
M = client.motion_ballot

# method, opening fields, one ballot per voter in VOTERS order, expected (outcome, winner, counts)
CASES: list[tuple[str, dict[str, Any], list[dict[str, Any]], tuple[str, int | None, list[int]]]] = [
    (
        "proposal",
        {},
        [M("agree"), M("agree"), M("abstain"), M("disagree"), M("agree", "fine")],
        ("passed", None, [3, 1, 1, 0]),
    ),
    (
        "proposal",
        {"threshold": Fraction(2, 3)},
        [M("agree"), M("agree"), M("abstain"), M("disagree"), M("block", "unsafe")],
        ("failed", None, [2, 1, 1, 1]),
    ),
    (
        "consent",
        {"quorum": Fraction(1, 2)},
        [M("agree"), M("abstain"), M("disagree"), M("block", "breaks our policy"), M("agree")],
        ("blocked", None, [2, 1, 1, 1]),
    ),
    (
        "single",
        {"options": ABC},
        [client.single_ballot(o) for o in (0, 1, 1, 2, 1)],
        ("winner", 1, [1, 3, 1]),
    ),
    (
        "approval",
        {"options": ABC, "max_choices": 2},
        [client.approval_ballot(a) for a in ([0, 1], [0], [1, 2], [0], [2, 0])],
        ("winner", 0, [4, 2, 2]),
    ),
    (
        "irv",
        {"options": ABC},
        [R([0, 1]), R([1, 0]), R([1, 2]), R([2, 0]), R([0, 2])],
        ("winner", 0, [2, 2, 1]),
    ),
    (
        "schulze",
        {"options": ABC},
        [R([0, 1]), R([1, 0]), R([1, 2]), R([2, 0]), R([0, 2])],
        ("winner", 0, [2, 2, 1]),
    ),
    (
        "score",
        {"options": ABC},
        [client.score_ballot(s) for s in ({0: 5, 1: 3}, {1: 4}, {2: 5}, {0: 1}, {})],
        ("winner", 1, [6, 7, 5]),
    ),
    (
        "dot",
        {"options": ABC, "dots": 3},
        [client.dot_ballot(d) for d in ({0: 3}, {1: 2, 2: 1}, {1: 3}, {2: 3}, {0: 1})],
        ("winner", 1, [4, 5, 4]),
    ),
]


async def test_every_method_end_to_end(database_url: str, tmp_path: Path) -> None:
    async with governance_world(database_url, tmp_path) as g:
        await g.group(convenor="ana", members=["ben", "cat", "dan", "fay"], observers=["eve"])
        for method, fields, ballots, (outcome, winner, counts) in CASES:
            seq = await g.open(method=method, title=f"A {method} vote", **fields)
            for voter, ballot in zip(VOTERS, ballots, strict=True):
                await g.vote(voter, seq, ballot)
            await g.close(seq, reason="all_voted")
            await g.decide(seq)
            count = await g.results(seq)
            got = (count.result.outcome, count.result.winner, list(count.result.counts))
            assert got == (outcome, winner, counts), method
            assert count.tally.electorate_size == 5
            record = await g.proposal(seq)
            assert record.status == DECIDED
            assert record.result == count.result
            assert record.transcript_sha256 == count.transcript_sha256
        report = await reports.recount_store(g.store)
        report.check()
        assert len(report.decisions) == len(CASES)
        assert all(d.ok for d in report.decisions)
