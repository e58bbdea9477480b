"""Balances recomputed from the log alone, and their comparison with the projection (audit)."""

from __future__ import annotations

from collections.abc import Iterable

from ledger.credits import store
from ledger.errors import AuditError
from ledger.sql import Connection
from ledger.statement import Entry


def replay_balances(entries: Iterable[Entry]) -> dict[str, int]:
    """Every member's balance: the sum of ``credit.awarded`` and ``credit.adjusted`` credits,
    minus ``credit.reversed`` credits, over ``entries`` in log order.

    Reads only the bodies' ``member``, ``credits`` and ``award`` fields. Raises
    ``AuditError`` if a correction names an entry that is not an earlier award.
    """
    owners: dict[int, str] = {}
    balances: dict[str, int] = {}
    for entry in entries:
        kind = entry.statement.kind
        body = entry.statement.body
        if kind == "credit.awarded":
            member = str(body["member"])
            owners[entry.seq] = member
            balances[member] = balances.get(member, 0) + int(body["credits"])
        elif kind in ("credit.reversed", "credit.adjusted"):
            member = owners.get(int(body["award"]), "")
            if not member:
                raise AuditError(f"entry {entry.seq} corrects {body['award']}, not an award")
            sign = -1 if kind == "credit.reversed" else 1
            balances[member] += sign * int(body["credits"])
    return balances


async def compare_with_projection(conn: Connection, replayed: dict[str, int]) -> list[str]:
    """Each member whose projected balance differs from ``replayed``, in words (empty: equal)."""
    projected = await store.balances(conn)
    differences = []
    for member in sorted(projected.keys() | replayed.keys()):
        logged, stored = replayed.get(member, 0), projected.get(member, 0)
        if logged != stored:
            differences.append(f"{member}: the log gives {logged} credits, the projection {stored}")
    return differences
