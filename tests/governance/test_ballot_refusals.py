"""Every ballot refusal through the service layer, each with nothing appended."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from governance import client
from governance.bodies import RoleBody, VoteBody
from governance.errors import BallotRefusedError, NotEligibleError, ObserverError, VotingWindowError
from ledger.errors import MalformedStatementError, NotFoundError
from tests.conftest import SQL_BACKENDS
from tests.governance.world import governance_world

pytestmark = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)

CAST = "governance.vote.cast"
ABC = ["a", "b", "c"]


def vote(proposal: int, ballot: dict[str, Any]) -> dict[str, Any]:
    return VoteBody(proposal, ballot).to_json()


async def test_ballots_refused(database_url: str, tmp_path: Path) -> None:
    async with governance_world(database_url, tmp_path) as g:
        await g.group(convenor="ana", members=["ben", "cat"], observers=["eve"])
        motion = await g.open(method="proposal")
        agree = client.motion_ballot("agree")
        codes = []
        for voter, proposal, ballot, error, match in [
            ("eve", motion, agree, ObserverError, "eve observes markets-data-trust; observers n"),
            ("dan", motion, agree, NotEligibleError, "dan is not in the electorate frozen"),
            ("ben", motion + 100, agree, NotFoundError, "no proposal"),
            ("ben", motion, client.motion_ballot("block"), BallotRefusedError, "block needs a"),
            ("ben", motion, {"choice": "yes"}, BallotRefusedError, "choice must be one of"),
        ]:
            err = await g.refused(voter, CAST, vote(proposal, ballot), error, match)
            codes.append(err.code)
        assert codes == [
            "observer",
            "not_eligible",
            "not_found",
            "ballot_refused",
            "ballot_refused",
        ]
        sealed = {"proposal": motion, "sealed": "A" * 100}
        await g.refused("ben", CAST, sealed, MalformedStatementError, "cast a plain ballot")
        await g.refused("ben", CAST, {"proposal": motion}, MalformedStatementError, "exactly one")

        # joining after opening does not put a member in the frozen electorate
        join = RoleBody(group="markets-data-trust", member="dan", role="member").to_json()
        await g.submit("steward", "governance.group.role_set", join)
        await g.refused("dan", CAST, vote(proposal=motion, ballot=agree), NotEligibleError, "dan")

        ranked = await g.open(method="irv", options=ABC)
        for ballot, message in [
            (client.ranked_ballot([0, 0]), "lists option 0 more than once"),
            (client.ranked_ballot([3]), "3 is not an option"),
            (client.ranked_ballot([]), "at least one option"),
        ]:
            body = vote(proposal=ranked, ballot=ballot)
            await g.refused("ben", CAST, body, BallotRefusedError, message)
        score = await g.open(method="score", options=ABC, max_score=5)
        body = vote(proposal=score, ballot=client.score_ballot({0: 6}))
        await g.refused("ben", CAST, body, BallotRefusedError, "scores run from 0 to 5")
        dot = await g.open(method="dot", options=ABC, dots=3)
        body = vote(proposal=dot, ballot=client.dot_ballot({0: 2, 1: 2}))
        await g.refused("ben", CAST, body, BallotRefusedError, "over the budget of 3")
        approval = await g.open(method="approval", options=ABC, max_choices=1)
        body = vote(proposal=approval, ballot=client.approval_ballot([0, 1]))
        await g.refused("ben", CAST, body, BallotRefusedError, "from 1 to 1 options")

        hidden = await g.open(method="proposal", hidden=True)
        plain = vote(proposal=hidden, ballot=agree)
        await g.refused("ben", CAST, plain, MalformedStatementError, "sealed ballots only")

        later = await g.open(method="proposal", opens_at=g.clock.now + timedelta(days=1))
        await g.refused(
            "ben", CAST, vote(proposal=later, ballot=agree), VotingWindowError, "voting opens at"
        )
        g.clock.advance(days=7)
        await g.refused(
            "ben", CAST, vote(proposal=motion, ballot=agree), VotingWindowError, "voting closed at"
        )
        await g.close(motion, reason="closing_time")
        g.clock.advance(days=-1)  # a closed proposal refuses ballots whatever the clock says
        closed = f"was closed at entry {await g.size() - 1}"
        await g.refused("ben", CAST, vote(motion, agree), VotingWindowError, closed)
