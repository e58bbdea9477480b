"""Reminders: who has not voted, and how many more agree votes a motion needs."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path

import pytest

from governance import client, reports
from governance.errors import InvalidRulesError
from governance.reminders import agree_votes_needed
from tests.conftest import SQL_BACKENDS
from tests.governance.helpers import make_rules
from tests.governance.world import governance_world

AGREE = {"choice": "agree"}
DISAGREE = {"choice": "disagree"}
ABSTAIN = {"choice": "abstain"}
BLOCK = {"choice": "block", "reason": "unsafe"}


def needed(
    ballots: list[Mapping[str, object]], electorate: int = 10, **rules: object
) -> int | None:
    method = "consent" if rules.pop("consent_method", False) else "proposal"
    settings = make_rules(n_options=0, electorate_size=electorate, **rules)
    return agree_votes_needed(method, settings, ballots, electorate - len(ballots))


def test_agree_votes_needed() -> None:
    assert needed([AGREE, DISAGREE]) == 1  # 2/3 > 1/2
    assert needed([AGREE, AGREE, DISAGREE]) == 0
    assert needed([DISAGREE] * 3) == 4  # 4/7 > 1/2, 3/6 is not
    assert needed([DISAGREE] * 3, threshold=Fraction(2, 3)) == 7  # 7/10 > 2/3
    assert needed([DISAGREE] * 5, electorate=8) is None  # 3/8 even if all others agree
    assert needed([AGREE], quorum=Fraction(1, 2)) == 4  # turnout 5 of 10
    assert needed([ABSTAIN] * 4, quorum=Fraction(1, 2), consent_method=True) == 1
    assert needed([AGREE, BLOCK], consent_method=True) is None
    assert needed([AGREE, BLOCK]) == 1  # outside consent mode a block is a disagree
    with pytest.raises(InvalidRulesError, match="only motions"):
        agree_votes_needed("irv", make_rules(), [], 3)


@pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
async def test_reminders_through_the_log(database_url: str, tmp_path: Path) -> None:
    async with governance_world(database_url, tmp_path) as g:
        await g.group(convenor="ana", members=["ben", "cat", "dan", "fay"], observers=["eve"])
        seq = await g.open(method="proposal", quorum=Fraction(1, 2))
        await g.vote("ben", seq, client.motion_ballot("disagree"))
        await g.vote("cat", seq, client.motion_ballot("agree"))
        async with g.read() as conn:
            first = await reports.reminders(conn, seq)
        assert (first.electorate, first.voted, first.not_voted) == (5, 2, ("ana", "dan", "fay"))
        assert first.agree_needed == 1
        await g.vote("dan", seq, client.motion_ballot("disagree"))
        async with g.read() as conn:
            second = await reports.reminders(conn, seq)
        assert (second.not_voted, second.agree_needed) == (("ana", "fay"), 2)
        ranked = await g.open(method="irv", options=["a", "b"])
        async with g.read() as conn:
            third = await reports.reminders(conn, ranked)
        assert (third.voted, third.agree_needed) == (0, None)
