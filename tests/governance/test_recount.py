"""The recount of the whole log agrees with every decision, finds a forged or a hidden change,
and a rebuild of the projections from the log gives the same rows."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from governance import client, store
from governance.actions import ElectConvenor
from governance.bodies import JoinRequestBody, LeaveBody, RequestBody, VoteBody
from governance.errors import RecountError
from governance.handler import GovernanceHandler
from governance.tally.recount_log import recount
from ledger.authoring import StatementFactory
from ledger.credits.handler import CreditsHandler
from ledger.encoding import parse_time
from ledger.members import MEMBER_KINDS, Registry
from ledger.sequencer import Context
from ledger.statement import Entry
from tests.conftest import SQL_BACKENDS
from tests.governance.world import GROUP, Gov, governance_world
from tests.support import ORIGIN, START

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def _history(g: Gov) -> dict[str, int]:
    """A log with joins, a hidden vote with a change, terms adopted and a convenor elected."""
    await g.group(convenor="ana", members=["ben"], observers=["eve"])
    request = await g.submit(
        "cat",
        "governance.group.join_requested",
        JoinRequestBody(group=GROUP, role="member").to_json(),
    )
    await g.submit("ana", "governance.group.join_approved", RequestBody(request=request).to_json())
    hidden = await g.open(method="schulze", options=["a", "b", "c"], hidden=True)
    await g.vote("ben", hidden, client.ranked_ballot([2, 1]))
    await g.vote("cat", hidden, client.ranked_ballot([1]))
    await g.vote("ben", hidden, client.ranked_ballot([1, 2]))
    await g.finish(hidden)
    terms = "Purpose: build local supply chains\n"
    action = client.adopt_terms(group=GROUP, version=1, text=terms)
    adopt = await g.open(method="consent", action=action, terms_text=terms)
    elect = await g.open(method="proposal", action=ElectConvenor(group=GROUP, member="cat"))
    for member in ("ana", "ben", "cat"):
        await g.vote(member, adopt, client.motion_ballot("agree"))
        await g.vote(member, elect, client.motion_ballot("agree"))
    await g.finish(adopt)
    await g.finish(elect)
    await g.submit("ben", "governance.group.left", LeaveBody(group=GROUP).to_json())
    return {"hidden": hidden, "adopt": adopt, "elect": elect}


async def _entries(g: Gov) -> list[Entry]:
    return [Entry.parse(row.data) for row in await g.store.entries(0, await g.size())]


async def _rebuild(g: Gov) -> None:
    handlers: list[GovernanceHandler | CreditsHandler] = [GovernanceHandler(), CreditsHandler()]
    async with g.store.transaction() as tx:
        for handler in handlers:
            await handler.reset(tx.connection)
        registry = Registry()
        ctx = Context(tx, registry, START)
        for entry in await _entries(g):
            kind = entry.statement.kind
            if kind in MEMBER_KINDS:
                registry.apply(entry)
                continue
            ctx.now = parse_time(entry.logged_at)
            for handler in handlers:
                if kind in handler.kinds:
                    await handler.apply(ctx, entry, registry.keys[entry.statement.key_id])


@pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)
async def test_recount_and_rebuild(database_url: str, tmp_path: Path) -> None:
    async with governance_world(database_url, tmp_path) as g:
        seqs = await _history(g)
        entries = await _entries(g)
        report = recount(entries)
        report.check()
        assert [d.proposal for d in report.decisions] == [
            seqs["hidden"],
            seqs["adopt"],
            seqs["elect"],
        ]
        async with g.read() as conn:
            before = await store.dump(conn)
        await _rebuild(g)
        async with g.read() as conn:
            assert await store.dump(conn) == before
        assert await g.role(GROUP, "cat") == "convenor"


@SQLITE
async def test_recount_finds_a_forged_decision_and_a_dropped_ballot(
    database_url: str, tmp_path: Path
) -> None:
    async with governance_world(database_url, tmp_path) as g:
        seqs = await _history(g)
        entries = await _entries(g)
        # a decision that records another result, validly signed by the convenor
        at = next(
            e.seq
            for e in entries
            if e.statement.kind == "governance.decision.recorded"
            and e.statement.body["proposal"] == seqs["adopt"]
        )
        body = dict(entries[at].statement.body)
        body["result"] = {**body["result"], "outcome": "blocked", "passed": False}
        factory = StatementFactory(ORIGIN, lambda: parse_time(entries[at].logged_at))
        forged = factory.sign(g.keys["ana"], "governance.decision.recorded", body)
        logged_at = parse_time(entries[at].logged_at)
        tampered = [
            *entries[:at],
            Entry.build(seq=at, logged_at=logged_at, signed=forged),
            *entries[at + 1 :],
        ]
        report = recount(tampered)
        assert [d.ok for d in report.decisions] == [True, False, True]
        with pytest.raises(RecountError, match=f"entry {at} .* the recount gives"):
            report.check()
        # dropping the latest ballot of a hidden proposal changes its transcript
        dropped = [
            e
            for e in entries
            if not (
                e.statement.kind == "governance.vote.cast"
                and e.statement.body["proposal"] == seqs["hidden"]
                and e.seq == seqs["hidden"] + 3
            )
        ]
        assert not recount(dropped).decisions[0].ok


@SQLITE
async def test_recount_reports_ballots_the_log_should_have_refused(
    database_url: str, tmp_path: Path
) -> None:
    async with governance_world(database_url, tmp_path) as g:
        await g.group(convenor="ana", members=["ben"])
        seq = await g.open(method="proposal")
        entries = await _entries(g)
        factory = StatementFactory(ORIGIN, g.clock)
        body = VoteBody(proposal=seq, ballot={"choice": "agree"}).to_json()
        outsider = factory.sign(g.keys["dan"], "governance.vote.cast", body)
        late = Entry.build(
            seq=len(entries), logged_at=g.clock.now + timedelta(days=8), signed=outsider
        )
        faults = recount([*entries, late]).faults
        assert len(faults) == 1
        assert "ballot outside the voting window" in faults[0]
