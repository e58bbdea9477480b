"""Rebuilding projections from the log, and checking them against a fresh replay.

Principle 1: every table beside the log is a projection that can be dropped and rebuilt from
the log, byte for byte. ``rebuild`` does it in place under the writer lock;
``compare_projections`` replays the log into a scratch database and reports every row that
differs from the live projections, and every row kept beside them (not rebuilt) that no
longer matches what the log says of it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from ledger.encoding import parse_time
from ledger.members import MEMBER_KINDS, KeyRecord, Registry
from ledger.migrate import upgrade
from ledger.sequencer import Context, Handler
from ledger.sql import SqlLogStore, make_engine, sqlite_url
from ledger.statement import Entry
from ledger.store import LogReader, LogTransaction

CHUNK = 1000


class Projector(Handler, Protocol):
    """A handler whose projections can be emptied and dumped."""

    async def reset(self, conn: Any) -> None:
        """Delete every row of this handler's projections."""

    async def dump(self, conn: Any) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of this handler's projections, in a stable order."""

    async def check_kept(self, conn: Any) -> list[str]:
        """What is wrong with the rows this handler keeps beside its projections, which a
        replay does not rebuild (texts the log names by hash): empty when nothing is."""


async def replay(
    source: LogReader,
    tx: LogTransaction,
    projectors: Sequence[Projector],
    progress: Callable[[int, int], None] | None = None,
) -> Registry:
    """Empty the projections in ``tx``, then apply every entry of ``source`` to them in order."""
    for projector in projectors:
        await projector.reset(tx.connection)
    registry = Registry()
    size = await source.size()
    for start in range(0, size, CHUNK):
        rows = await source.entries(start, min(start + CHUNK, size))
        await project(tx, projectors, registry, [Entry.parse(row.data) for row in rows])
        if progress is not None:
            progress(min(start + CHUNK, size), size)
    registry.size = size
    return registry


async def project(
    tx: LogTransaction,
    projectors: Sequence[Projector],
    registry: Registry,
    entries: Iterable[Entry],
) -> None:
    """Apply ``entries`` (next in log order after those ``registry`` holds) to the
    projections in ``tx``, and advance ``registry``."""
    by_kind = {kind: p for p in projectors for kind in p.kinds}
    ctx = Context(tx, registry, parse_time("2000-01-01T00:00:00Z"))
    for entry in entries:
        key = _signer_key(registry, entry)
        ctx.now = parse_time(entry.logged_at)
        if entry.statement.kind in MEMBER_KINDS:
            registry.apply(entry)
        elif entry.statement.kind in by_kind:
            await by_kind[entry.statement.kind].apply(ctx, entry, key)
    await ctx.flush()


def _signer_key(registry: Registry, entry: Entry) -> KeyRecord:
    statement = entry.statement
    if statement.kind == "log.initialised":
        return KeyRecord(statement.key_id, str(statement.body["member"]), b"", 0)
    return registry.keys[statement.key_id]


async def rebuild(
    store: SqlLogStore,
    projectors: Sequence[Projector],
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Drop and rebuild every projection from the log; returns the number of entries."""
    async with store.transaction() as tx:
        registry = await replay(tx, tx, projectors, progress)
    return registry.size


async def compare_projections(
    store: SqlLogStore,
    projectors: Sequence[Projector],
    progress: Callable[[int, int], None] | None = None,
) -> list[str]:
    """Replay the log into a scratch SQLite database and compare every projection row;
    check the rows kept beside the projections (``Projector.check_kept``).

    Returns the differences (empty when the live projections equal a replay of the log and
    every kept row matches the log).
    """
    with tempfile.TemporaryDirectory() as folder:
        scratch = SqlLogStore(make_engine(sqlite_url(Path(folder) / "replay.db")))
        try:
            await upgrade(scratch.engine)
            # The live side holds the writer lock, so no append lands between replay and dump.
            async with store.transaction() as source, scratch.transaction() as tx:
                await replay(source, tx, projectors, progress)
                live = await _dump(source, projectors)
                replayed = await _dump(tx, projectors)
                kept = [p for j in projectors for p in await j.check_kept(source.connection)]
            return differences(live, replayed) + kept
        finally:
            await scratch.close()


async def _dump(tx: LogTransaction, projectors: Sequence[Projector]) -> dict[str, list[Any]]:
    result: dict[str, list[Any]] = {}
    for projector in projectors:
        result.update(await projector.dump(tx.connection))
    return result


def differences(live: dict[str, list[Any]], replayed: dict[str, list[Any]]) -> list[str]:
    """Human-readable differences between two projection dumps (empty when equal)."""
    problems = []
    for table in sorted(set(live) | set(replayed)):
        ours, theirs = live.get(table, []), replayed.get(table, [])
        if ours != theirs:
            extra = [r for r in ours if r not in theirs][:3]
            missing = [r for r in theirs if r not in ours][:3]
            problems.append(
                f"{table}: {len(ours)} rows live, {len(theirs)} from the log; "
                f"not in the log: {extra}; missing: {missing}"
            )
    return problems
