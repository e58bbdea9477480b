"""Through the service layer, a tally does not depend on the order ballots were cast in."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance import client
from governance.tally import get_method
from ledger.migrate import upgrade
from ledger.sql import make_engine, sqlite_url
from tests.governance.world import governance_world

VOTERS = ["ana", "ben", "cat", "dan", "fay"]
OPTIONS = ["a", "b", "c"]
RANKING = st.permutations([0, 1, 2]).flatmap(lambda p: st.integers(1, 3).map(lambda n: p[:n]))
BALLOTS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "irv": RANKING.map(client.ranked_ballot),
    "schulze": RANKING.map(client.ranked_ballot),
    "approval": st.sets(st.integers(0, 2), min_size=1).map(sorted).map(client.approval_ballot),
    "score": st.dictionaries(st.integers(0, 2), st.integers(0, 5)).map(client.score_ballot),
}


@st.composite
def elections(draw: st.DrawFn) -> tuple[str, list[dict[str, Any]], list[int]]:
    method = draw(st.sampled_from(sorted(BALLOTS)))
    ballots = [draw(BALLOTS[method]) for _ in VOTERS]
    order = draw(st.permutations(range(len(VOTERS))))
    return method, ballots, list(order)


async def _run(
    url: str, tmp: Path, method: str, ballots: list[dict[str, Any]], order: list[int]
) -> None:
    engine = make_engine(url)
    await upgrade(engine)
    await engine.dispose()
    async with governance_world(url, tmp) as g:
        await g.group(convenor="ana", members=VOTERS[1:])
        seq = await g.open(method=method, options=OPTIONS)
        for i in order:
            await g.vote(VOTERS[i], seq, ballots[i])
        count = await g.finish(seq)
        record = await g.proposal(seq)
        expected = get_method(method).tally(ballots, record.opening.tally_rules(record.seed))
        assert count.tally.to_json() == expected.to_json()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(election=elections())
def test_tallies_do_not_depend_on_ballot_order(tmp_path_factory: Any, election: Any) -> None:
    method, ballots, order = election
    tmp: Path = tmp_path_factory.mktemp("order")
    asyncio.run(_run(sqlite_url(tmp / "ledger.db"), tmp, method, ballots, order))
