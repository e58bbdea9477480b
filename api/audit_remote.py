"""What a server's API reports, compared with what its audited log gives.

After a remembered audit (``ledger.audit_resume``) the replay store holds the log's
projections rebuilt from the verified entries. Every member's balance (GraphQL
``members { id balance }``) and every decision (``proposals { seq decision { ... } }``) the
server reports must equal the replayed balances and the decisions of the log, each recounted
from its ballots (``governance.reports.recount_since``) by the run that downloads it. The
first difference is an ``AuditError``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from pathlib import Path
from typing import Any

from api.client_core import ClientCore
from governance.bodies import parse_decision
from governance.reports import recount_since
from governance.tally.recount_log import DECIDED
from ledger.audit_resume import REPLAY_DB
from ledger.credits import store as credits
from ledger.errors import AuditError
from ledger.sql import SqlLogStore, make_engine, sqlite_url
from ledger.statement import Entry

_MEMBERS = (
    "query($after: String) { members(first: 100, after: $after) { nodes { id balance } "
    "pageInfo { hasNextPage endCursor } } }"
)
_PROPOSALS = (
    "query($after: String) { proposals(first: 100, after: $after) { nodes { seq decision { "
    "seq outcome winner passed counts ballots spoiled transcriptSha256 } } "
    "pageInfo { hasNextPage endCursor } } }"
)


async def _pages(core: ClientCore, query: str, field: str) -> AsyncIterator[dict[str, Any]]:
    after: str | None = None
    while True:
        page = (await core.graphql(query, {"after": after}))[field]
        for node in page["nodes"]:
            yield node
        if not page["pageInfo"]["hasNextPage"]:
            return
        after = page["pageInfo"]["endCursor"]


async def compare_with_api(
    core: ClientCore, folder: Path, members: Collection[str], since: int = 0
) -> int:
    """Compare the server's balances and decisions with the replay store in ``folder``.

    ``members`` are the log's; the proposals that entries from ``since`` on touch are
    recounted from their ballots first (``governance.reports.recount_since``; the others
    were recounted by the run that downloaded their entries).
    Returns how many values were compared; raises ``AuditError`` naming the first that
    differs, or ``RecountError`` for a decision the recount of the log does not give.
    """
    store = SqlLogStore(make_engine(sqlite_url(folder / REPLAY_DB)))
    try:
        async with store.engine.connect() as conn:
            balances = await credits.balances(conn)
            recounted = await recount_since(conn, store, since)
        decided = await store.entries_of_kinds({DECIDED}, 0)
    finally:
        await store.close()
    recounted.check()
    compared = await _compare_balances(core, {m: balances.get(m, 0) for m in members})
    decisions = {}
    for row in decided:
        entry = Entry.parse(row.data)
        body = parse_decision(entry.statement.body)
        decisions[body.proposal] = {
            "seq": entry.seq,
            **body.result.to_json(),
            "transcriptSha256": body.transcript_sha256,
        }
    return compared + await _compare_decisions(core, decisions)


async def _compare_balances(core: ClientCore, expected: dict[str, int]) -> int:
    reported: dict[str, int] = {}
    async for node in _pages(core, _MEMBERS, "members"):
        member, balance = str(node["id"]), int(node["balance"])
        reported[member] = balance
        if member not in expected:
            raise AuditError(f"the API reports member {member}, whom the log never admitted")
        if balance != expected[member]:
            raise AuditError(
                f"the API reports balance {balance} for {member}; the log gives {expected[member]}"
            )
    for member in expected:
        if member not in reported:
            raise AuditError(f"the API does not list member {member}, admitted on the log")
    return len(expected)


async def _compare_decisions(core: ClientCore, expected: dict[int, dict[str, Any]]) -> int:
    reported: set[int] = set()
    async for node in _pages(core, _PROPOSALS, "proposals"):
        seq, decision = int(node["seq"]), node["decision"]
        if decision is None:
            if seq in expected:
                raise AuditError(f"the API reports no decision on proposal {seq}; the log has one")
            continue
        reported.add(seq)
        want = expected.get(seq)
        if want is None:
            raise AuditError(f"the API reports a decision on proposal {seq}; the log has none")
        for name, value in want.items():
            got = decision.get(name)
            if (list(got) if isinstance(got, list) else got) != (
                list(value) if isinstance(value, (list, tuple)) else value
            ):
                raise AuditError(
                    f"the API reports {name} {got!r} for the decision on proposal {seq}; "
                    f"the log, recounted, gives {value!r}"
                )
    for seq in expected:
        if seq not in reported:
            raise AuditError(f"the API does not list the decision on proposal {seq}")
    return len(expected)
