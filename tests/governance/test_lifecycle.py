"""A proposal's life through the service layer: opening, changing a vote, closing, deciding,
and every refusal on the way, each with nothing appended."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from governance import client, errors, reports
from governance.bodies import CloseBody, RoleBody
from ledger.errors import ConflictError, NotFoundError
from tests.conftest import SQL_BACKENDS
from tests.governance.world import GROUP, TODAY, governance_world

pytestmark = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)

OPEN = "governance.proposal.opened"
CLOSE = "governance.proposal.closed"
DECIDE = "governance.decision.recorded"
AGREE = client.motion_ballot("agree")


async def test_opening_refusals(database_url: str, tmp_path: Path) -> None:
    async with governance_world(database_url, tmp_path) as g:
        await g.group(convenor="ana", members=["ben", "cat"])
        body = await g.open_body(method="proposal")
        await g.refused("ben", OPEN, body, errors.NotConvenorError, "only the convenor of markets")
        await g.refused("ana", OPEN, {**body, "group": "nowhere"}, NotFoundError, "no working")
        wrong = {**body, "rules": {**body["rules"], "algorithm": "proposal/3"}}
        await g.refused("ana", OPEN, wrong, errors.ProposalRulesError, "implemented at proposal/2")
        unstored = {**body, "body_sha256": "0" * 64}
        await g.refused("ana", OPEN, unstored, errors.TextMissingError, "proposal body")
        past = await g.open_body(
            method="proposal",
            opens_at=g.clock.now - timedelta(days=2),
            closes_at=g.clock.now - timedelta(days=1),
        )
        await g.refused("ana", OPEN, past, errors.VotingWindowError, "has passed")
        assembly = await g.open_body("assembly", method="proposal")
        await g.refused("ana", OPEN, assembly, errors.NotConvenorError, "only a board member")
        await g.submit("board-b", OPEN, assembly)
        # the electorate is checked against the group as it is when the opening is sequenced
        await g.submit(
            "steward",
            "governance.group.role_set",
            RoleBody(group=GROUP, member="dan", role="member").to_json(),
        )
        await g.refused("ana", OPEN, body, errors.ElectorateMismatchError, r"lacks \['dan'\]")


async def test_vote_change_close_and_decide(database_url: str, tmp_path: Path) -> None:
    async with governance_world(database_url, tmp_path) as g:
        await g.group(convenor="ana", members=["ben", "cat"])
        seq = await g.open(method="proposal")
        first = await g.vote("ben", seq, AGREE)
        await g.vote("ana", seq, AGREE)
        changed = await g.vote("ben", seq, client.motion_ballot("disagree", "on reflection"))
        ballots = await g.ballots(seq)
        assert [(b.seq, b.superseded_by) for b in ballots if b.member == "ben"] == [
            (first, changed),
            (changed, None),
        ]
        assert (await g.results(seq)).tally.counts == (1, 0, 1, 0)

        for who, reason, error, match in (
            ("ben", "early", errors.NotConvenorError, "closes a proposal"),
            ("ana", "all_voted", ConflictError, "2 of 3 electors have voted"),
            ("ana", "closing_time", errors.VotingWindowError, "the closing time is"),
        ):
            close = CloseBody(proposal=seq, reason=reason).to_json()
            await g.refused(who, CLOSE, close, error, match)
        await g.refused(
            "ana",
            DECIDE,
            await g.decision_body(seq),
            ConflictError,
            "is open: a decision follows close",
        )
        await g.vote("cat", seq, AGREE)
        await g.close(seq, reason="all_voted")  # early: everyone has voted
        early = CloseBody(proposal=seq, reason="early").to_json()
        await g.refused("ana", CLOSE, early, errors.VotingWindowError, "was closed")

        body = await g.decision_body(seq, "Agreed: we go ahead.")
        result = body["result"]
        lie = {**body, "result": {**result, "outcome": "failed", "passed": False}}
        err = await g.refused(
            "ana", DECIDE, lie, errors.TallyMismatchError, "the recount of proposal"
        )
        assert err.code == "tally_mismatch"
        counts = {**body, "result": {**result, "counts": [3, 0, 0, 0]}}
        await g.refused("ana", DECIDE, counts, errors.TallyMismatchError, "gives")
        transcript = {**body, "transcript_sha256": "f" * 64}
        await g.refused("ana", DECIDE, transcript, errors.TallyMismatchError, "transcript")
        today = {**body, "review_on": TODAY.isoformat()}
        await g.refused("ana", DECIDE, today, ConflictError, "after today")
        unstored = {**body, "statement_sha256": "0" * 64}
        await g.refused("ana", DECIDE, unstored, errors.TextMissingError, "outcome statement")
        await g.refused("ben", DECIDE, body, errors.NotConvenorError, "records a decision")
        await g.submit("ana", DECIDE, body)
        await g.refused("ana", DECIDE, body, ConflictError, "is decided")
        record = await g.proposal(seq)
        assert record.result is not None and record.result.outcome == "passed"
        assert record.review_on == TODAY + timedelta(days=180)
        assert record.close_reason == "all_voted"


async def test_ballots_and_a_close_in_one_batch(database_url: str, tmp_path: Path) -> None:
    """Ballots are written together when the batch ends, yet a voter's second ballot in the
    same batch supersedes the first, and a close later in the batch sees them all."""
    async with governance_world(database_url, tmp_path) as g:
        await g.group(convenor="ana", members=["ben", "cat"])
        seq = await g.open(method="proposal")
        earlier = await g.vote("cat", seq, client.motion_ballot("disagree", "not yet"))
        votes = [
            ("ben", AGREE),
            ("cat", AGREE),
            ("ben", client.motion_ballot("disagree", "on reflection")),
            ("ana", AGREE),
        ]
        acts = [(m, "governance.vote.cast", await g.vote_body(m, seq, b)) for m, b in votes]
        acts.append(("ana", CLOSE, CloseBody(proposal=seq, reason="all_voted").to_json()))
        receipts = await asyncio.gather(
            *(g.world.submit(g.keys[m], kind, dict(body)) for m, kind, body in acts)
        )
        assert len({r.checkpoint.size for r in receipts}) == 1  # one batch
        ben_first, cat_second, ben_second, ana = (r.entry.seq for r in receipts[:4])
        assert {(b.member, b.seq, b.superseded_by) for b in await g.ballots(seq)} == {
            ("cat", earlier, cat_second),
            ("ben", ben_first, ben_second),
            ("cat", cat_second, None),
            ("ben", ben_second, None),
            ("ana", ana, None),
        }
        assert (await g.proposal(seq)).close_reason == "all_voted"
        assert (await g.results(seq)).tally.counts == (2, 0, 1, 0)


async def test_closing_by_time_by_convenor_and_by_board(database_url: str, tmp_path: Path) -> None:
    async with governance_world(database_url, tmp_path) as g:
        await g.group(convenor="ana", members=["ben", "cat"])
        early = await g.open(method="proposal")
        timed = await g.open(method="proposal")
        by_board = await g.open(method="single", options=["x", "y"])
        await g.vote("ben", early, AGREE)
        await g.close(early, reason="early")
        await g.vote("cat", by_board, client.single_ballot(1))
        g.clock.advance(days=7)
        early_close = CloseBody(proposal=timed, reason="early").to_json()
        await g.refused(
            "ana", CLOSE, early_close, errors.VotingWindowError, "with reason closing_time"
        )
        await g.close(timed, reason="closing_time")
        await g.close(by_board, reason="closing_time", by="board-b")
        await g.decide(by_board, by="board-b")
        await g.decide(early)
        await g.decide(timed)
        assert (await g.results(early)).result.outcome == "passed"
        assert (await g.results(timed)).result.outcome == "failed"  # no votes: nothing agreed
        assert (await g.results(by_board)).result.winner == 1
        async with g.read() as conn:
            reminder = await reports.reminders(conn, early)
        assert reminder.not_voted == ("ana", "cat")
        assert reminder.agree_needed is None  # closed
