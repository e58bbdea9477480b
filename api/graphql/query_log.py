"""Root fields that read the log: checkpoints, entries and RFC 9162 proofs."""

from __future__ import annotations

from api.errors import BadRequestError
from api.graphql.context import Info
from api.graphql.pagination import Connection, Page, connection, relay
from api.graphql.types_log import Checkpoint, ConsistencyProof, Entry, InclusionProof, LogInfo
from ledger.witness_push import witnessed_checkpoint as witnessed


async def log_info(info: Info) -> LogInfo:
    """The log's origin, verifier key and statement window (always public)."""
    state = info.context.state
    return LogInfo(
        origin=state.origin,
        verifier_key=state.config.log_verifier.vkey(),
        window_seconds=int(state.config.window.total_seconds()),
        private=state.settings.private_log,
        witness_keys=[w.key for w in state.config.witnesses.witnesses],
        witness_quorum=state.config.witnesses.quorum,
    )


async def checkpoint(info: Info) -> Checkpoint:
    """The latest signed checkpoint."""
    await info.context.log_reader()
    return Checkpoint.from_domain(await info.context.state.view.latest_checkpoint())


async def witnessed_checkpoint(info: Info) -> Checkpoint | None:
    """The latest checkpoint cosigned by a quorum of the log's witnesses (null until one)."""
    await info.context.log_reader()
    state = info.context.state
    if not state.config.witnesses.witnesses:
        return None
    row = await witnessed(state.store, state.config.witnesses)
    return None if row is None else Checkpoint.from_domain(row)


async def entry(info: Info, seq: int) -> Entry | None:
    """The entry at ``seq`` (null beyond the log)."""
    await info.context.log_reader()
    row = await info.context.loaders.entry.load(seq)
    return None if row is None else Entry.from_domain(row)


@relay("entry")
async def entries(
    info: Info,
    start: int = 0,
    end: int | None = None,
    *,
    p: Page,
) -> Connection[Entry]:
    """Entries ``start <= seq < end`` (``end`` defaults to the log's size), paged by seq."""
    await info.context.log_reader()
    if start < 0 or (end is not None and end < start):
        raise BadRequestError("need 0 <= start <= end")
    view = info.context.state.view
    size = (await view.latest_checkpoint()).size
    stop = size if end is None else min(end, size)
    after_seq, before_seq = p.int_key(p.after), p.int_key(p.before)
    low = start if after_seq is None else max(start, after_seq + 1)
    high = stop if before_seq is None else min(stop, before_seq)
    if p.forward:
        window = (low, max(low, min(high, low + p.size)))
    else:
        window = (max(low, high - p.size), max(low, high))
    rows = await view.entries(*window) if window[1] > window[0] else []
    return connection(
        p,
        rows,
        lambda row: row.seq,
        Entry.from_domain,
        has_next=window[1] < high if p.forward else high < stop,
        has_previous=low > start if p.forward else window[0] > low,
    )


async def inclusion_proof(info: Info, index: int, size: int | None = None) -> InclusionProof:
    """RFC 9162 inclusion proof of entry ``index`` in the tree of ``size`` (default: latest)."""
    await info.context.log_reader()
    view = info.context.state.view
    tree_size = size if size is not None else (await view.latest_checkpoint()).size
    return InclusionProof.from_domain(await view.inclusion(index, tree_size))


async def consistency_proof(info: Info, first: int, second: int | None = None) -> ConsistencyProof:
    """RFC 9162 consistency proof from size ``first`` to ``second`` (default: latest)."""
    await info.context.log_reader()
    if first < 1:
        raise BadRequestError("a consistency proof starts from a tree of at least one entry")
    view = info.context.state.view
    tree_size = second if second is not None else (await view.latest_checkpoint()).size
    return ConsistencyProof.from_domain(await view.consistency(first, tree_size))
