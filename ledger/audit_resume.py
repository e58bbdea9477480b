"""The audit of a server that remembers: what it verified last, and only the new entries since.

Per log, a folder of the state directory (docs/formats.md §12) holds ``state.json`` (the log
key, the last verified checkpoint and the tree's frontier at its size) and ``replay.db``, an
SQLite log store with the verified entries, their tree nodes, that checkpoint and the
projections the entries give. The member registry and the nonces seen, which the checks of
the next entries need, are read back from it. A run reads the server's checkpoint; if it is
ahead, it downloads the entries after the remembered size, checks them as the full audit does
(``ledger.audit.run_audit`` resumed), checks the served consistency proof from the remembered
checkpoint and that the rebuilt tree reaches the new root, then commits the entries to
``replay.db`` and writes ``state.json`` last (atomically). A server behind the remembered
size or inconsistent with it gets a misbehaviour proof (``ledger.misbehaviour``) written
beside the state.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

import httpx

from ledger.atomic import write_atomically
from ledger.audit import AuditReport, ProgressFn, run_audit
from ledger.audit_chunk import NoteRow, Row, consecutive, entry_fault
from ledger.audit_http import HttpSource
from ledger.audit_state import AuditState
from ledger.checkpoint import verify_checkpoint
from ledger.cosignature import CosignerVerifier
from ledger.errors import AuditError, InvalidProofError, LedgerError
from ledger.members import MEMBER_KINDS, Registry
from ledger.merkle import consistency_path, hash_leaf, root, verify_consistency
from ledger.migrate import upgrade
from ledger.misbehaviour import fork_nodes, make_proof, verify_proof
from ledger.note import NoteVerifier
from ledger.rebuild import Projector, project
from ledger.sql import SqlLogStore, make_engine, sqlite_url
from ledger.statement import Entry
from ledger.store import CheckpointRow, EntryRow
from ledger.tree import Frontier, consistency_nodes, consistency_proof, root_at, root_nodes

STATE_FORMAT = "coopledger/audit-state/v1"
STATE_FILE = "state.json"
REPLAY_DB = "replay.db"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class Remembered:
    """The last verified checkpoint of a log and the frontier of its tree."""

    log_key: str
    note: str
    size: int
    root: bytes
    frontier: tuple[bytes, ...]

    def to_json(self) -> bytes:
        """``state.json``'s bytes (docs/formats.md §12)."""
        value = {
            "format": STATE_FORMAT,
            "log_key": self.log_key,
            "checkpoint": self.note,
            "size": self.size,
            "root": self.root.hex(),
            "frontier": [h.hex() for h in self.frontier],
        }
        return json.dumps(value, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"


@dataclass(frozen=True)
class RememberedReport:
    """A clean remembered audit: the audit's report, how many entries it downloaded, the
    size remembered before, the folder of the log's state, and the log's members."""

    report: AuditReport
    fetched: int
    since: int
    folder: Path
    members: tuple[str, ...]

    def summary(self) -> str:
        """The audit's line and what it downloaded."""
        entries = "entry" if self.fetched == 1 else "entries"
        return f"{self.report.summary()}; {self.fetched} new {entries} since {self.since}"


def log_folder(state_dir: Path, origin: str) -> Path:
    """The folder of ``origin``'s state in ``state_dir``: the origin with every character
    outside ``[A-Za-z0-9._-]`` written ``_``, a dash, and 8 hex digits of its SHA-256."""
    digest = hashlib.sha256(origin.encode("utf-8")).hexdigest()[:8]
    return state_dir / f"{_UNSAFE.sub('_', origin)}-{digest}"


def read_state(folder: Path, verifier: NoteVerifier) -> Remembered | None:
    """The state remembered in ``folder`` (``None`` if there is none yet).

    Raises ``AuditError`` if it was remembered for another log key (the key is pinned), or
    if the file is damaged: malformed, a checkpoint that does not verify, or a frontier
    that does not give its root.
    """
    path = folder / STATE_FILE
    if not path.exists():
        return None
    try:
        value = json.loads(path.read_bytes())
        log_key, note = str(value["log_key"]), str(value["checkpoint"])
        if value["format"] != STATE_FORMAT:
            raise ValueError(f"format {value['format']!r}")
        frontier = tuple(bytes.fromhex(h) for h in value["frontier"])
        size, root_hex = int(value["size"]), str(value["root"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise AuditError(f"the remembered state {path} is damaged: {e}") from e
    if log_key != verifier.vkey():
        raise AuditError(
            f"the log key {verifier.vkey()} is not the key remembered for this log "
            f"({log_key}, in {path}); refusing"
        )
    try:
        checkpoint = verify_checkpoint(note, verifier, origin=verifier.name)
        tree = Frontier(size, list(frontier))
    except (LedgerError, ValueError) as e:
        raise AuditError(f"the remembered state {path} is damaged: {e}") from e
    if (checkpoint.size, checkpoint.root.hex(), tree.root()) != (size, root_hex, checkpoint.root):
        raise AuditError(f"the remembered state {path} is damaged: its sizes or roots differ")
    return Remembered(log_key, note, size, checkpoint.root, frontier)


class _Fetching(HttpSource):
    """An ``HttpSource`` that keeps the entries it downloaded, for the replay store."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        witnesses: Sequence[CosignerVerifier],
        quorum: int,
    ) -> None:
        super().__init__(client, base_url, witnesses=witnesses, quorum=quorum)
        self.rows: list[Row] = []

    async def entries(self, start: int, end: int) -> list[Row]:
        rows = await super().entries(start, end)
        self.rows.extend(rows)
        return rows


async def audit_remembered(
    client: httpx.AsyncClient,
    base_url: str,
    state_dir: Path,
    *,
    projectors: Sequence[Projector],
    log_verifier: NoteVerifier | None = None,
    progress: ProgressFn | None = None,
    executor: Executor | None = None,
    witnesses: Sequence[CosignerVerifier] = (),
    quorum: int = 0,
) -> RememberedReport:
    """Audit the server at ``base_url`` from what ``state_dir`` remembers of its log.

    The first run pins the log key (``log_verifier``, or the key the server names) and
    checks everything; later runs check only the entries after the remembered checkpoint
    (see the module docstring). Raises ``AuditError`` naming the first fault, a key other
    than the pinned one, or a server behind or inconsistent with the remembered checkpoint
    (with the path of the misbehaviour proof written); ``httpx.HTTPError`` when the server
    cannot be reached. With a ``quorum``, the checkpoint audited up to is the latest
    witnessed one served, refused unless ``quorum`` of ``witnesses`` cosigned it.
    """
    source = _Fetching(client, base_url, witnesses, quorum)
    verifier = log_verifier or await source.key()
    folder = log_folder(state_dir, verifier.name)
    remembered = read_state(folder, verifier)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    head = await source.head(verifier, verifier.name)
    store = await _open_replay(folder)
    try:
        remembered = await _caught_up(store, verifier, remembered)
        since = 0 if remembered is None else remembered.size
        registry = await _registry(store)
        state = await _resume(source, store, folder, verifier, remembered, head, registry)
        if state is None:
            report = _unchanged(verifier, head, await store.size())
        else:
            report = await run_audit(
                source,
                origin=verifier.name,
                log_verifier=verifier,
                progress=progress,
                executor=executor,
                resume=state,
            )
            await _remember(store, projectors, registry, source.rows, since, head)
        frontier = Frontier.load(head.size, await store.nodes(root_nodes(head.size)))
    finally:
        await store.close()
    kept = Remembered(verifier.vkey(), head.note, head.size, head.root, frontier.hashes())
    write_atomically(folder / STATE_FILE, kept.to_json())
    members = tuple(sorted(registry.members))
    return RememberedReport(report, head.size - since, since, folder, members)


async def _open_replay(folder: Path) -> SqlLogStore:
    store = SqlLogStore(make_engine(sqlite_url(folder / REPLAY_DB)))
    try:
        await upgrade(store.engine)
    except BaseException:
        await store.close()
        raise
    return store


async def _caught_up(
    store: SqlLogStore, verifier: NoteVerifier, remembered: Remembered | None
) -> Remembered | None:
    """The remembered state, moved on to the checkpoint of ``replay.db`` if a run committed
    its verified entries there but stopped before replacing ``state.json``."""
    kept = await store.checkpoint()
    if remembered is None or kept is None or kept.size <= remembered.size:
        return remembered
    try:
        verify_checkpoint(kept.note, verifier, origin=verifier.name)
        nodes = await store.nodes(consistency_nodes(remembered.size, kept.size))
        path = consistency_proof(remembered.size, kept.size, nodes)
        verify_consistency(
            size1=remembered.size,
            size2=kept.size,
            root1=remembered.root,
            root2=kept.root,
            path=path,
        )
    except (LedgerError, KeyError) as e:
        raise AuditError(f"{REPLAY_DB} is ahead of {STATE_FILE} and does not extend it: {e}") from e
    frontier = Frontier.load(kept.size, await store.nodes(root_nodes(kept.size)))
    return Remembered(remembered.log_key, kept.note, kept.size, kept.root, frontier.hashes())


def _unchanged(verifier: NoteVerifier, head: NoteRow, size: int) -> AuditReport:
    return AuditReport(verifier.name, size, 0, head.root, 0, verifier.vkey())


async def _resume(
    source: HttpSource,
    store: SqlLogStore,
    folder: Path,
    verifier: NoteVerifier,
    remembered: Remembered | None,
    head: NoteRow,
    registry: Registry,
) -> AuditState | None:
    """What the audit of the entries after the remembered checkpoint starts from, or
    ``None`` when there are none; raises ``AuditError`` for a rollback or a fork."""
    kept = await store.checkpoint()
    if remembered is None:
        if kept is not None:
            raise AuditError(f"{folder / REPLAY_DB} holds entries but no state; remove it")
        return AuditState(origin=verifier.name, verifier=verifier, head=head)
    if kept is None or (kept.size, kept.root) != (remembered.size, remembered.root):
        raise AuditError(f"{folder / REPLAY_DB} is not at the remembered checkpoint; remove it")
    mine = NoteRow(remembered.size, remembered.root, remembered.note)
    if head.size < mine.size:
        await _rolled_back(store, folder, verifier, head, mine)
    if head.size == mine.size:
        if not hmac.compare_digest(head.root, mine.root):
            path = _write_proof(folder, verifier, head, mine, ())
            raise AuditError(
                f"fork: the server signed checkpoint {head.size} with another root than the "
                f"remembered one; misbehaviour proof written to {path}"
            )
        return None
    await _check_extends(source, folder, verifier, mine, head)
    return await _state_at(store, verifier, mine, head, copy.deepcopy(registry))


async def _rolled_back(
    store: SqlLogStore, folder: Path, verifier: NoteVerifier, head: NoteRow, mine: NoteRow
) -> None:
    """The server is behind: a proof from the remembered tree if its root differs from
    the root of our first ``head.size`` entries, else evidence of the rollback only."""
    ids = {*consistency_nodes(head.size, mine.size), *root_nodes(head.size)}
    nodes = await store.nodes(ids)
    prefix = root_at(head.size, nodes)
    path = consistency_proof(head.size, mine.size, nodes)
    written = _write_proof(folder, verifier, head, mine, fork_nodes(head.size, path, prefix))
    behind = f"the server's checkpoint {head.size} is behind the remembered {mine.size}"
    if hmac.compare_digest(prefix, head.root):
        raise AuditError(
            f"rollback: {behind} (an older copy of the log); the two checkpoints are "
            f"consistent, so this is no proof of a fork; evidence written to {written}"
        )
    raise AuditError(
        f"rollback and fork: {behind} and not a prefix of it; misbehaviour proof written "
        f"to {written}"
    )


async def _check_extends(
    source: HttpSource, folder: Path, verifier: NoteVerifier, mine: NoteRow, head: NoteRow
) -> None:
    """The served consistency proof from the remembered checkpoint to the head must verify;
    if it does not, the server's whole log says whether it forked (a proof is written)."""
    answer = await source._json("/log/proof/consistency", first=mine.size, second=head.size)
    try:
        path = [bytes.fromhex(h) for h in answer["path"]]
        verify_consistency(
            size1=mine.size, size2=head.size, root1=mine.root, root2=head.root, path=path
        )
        return
    except (InvalidProofError, KeyError, TypeError, ValueError) as e:
        failure = f"{e}"
    rows, missing = consecutive(await source.entries(0, head.size), 0, head.size)
    if missing is not None:
        raise AuditError(missing.message)
    leaves = [hash_leaf(row.data) for row in rows]
    if not hmac.compare_digest(root(leaves), head.root):
        raise AuditError(f"checkpoint {head.size}: its root is not the root of the entries")
    prefix = root(leaves[: mine.size])
    if hmac.compare_digest(prefix, mine.root):
        raise AuditError(
            f"checkpoint {head.size}: the served consistency proof from {mine.size} fails "
            f"({failure}), though the entries are consistent"
        )
    nodes = fork_nodes(mine.size, consistency_path(leaves, mine.size), prefix)
    written = _write_proof(folder, verifier, mine, head, nodes)
    raise AuditError(
        f"fork: the server's checkpoint {head.size} is not consistent with the remembered "
        f"checkpoint {mine.size}; misbehaviour proof written to {written}"
    )


def _write_proof(
    folder: Path,
    verifier: NoteVerifier,
    first: NoteRow,
    second: NoteRow,
    nodes: Sequence[bytes],
) -> Path:
    """Write the proof of ``first`` (the smaller size) against ``second``; its path."""
    proof = make_proof(verifier, first.note, second.note, nodes)
    name = f"misbehaviour-{first.size}-{second.size}-{first.root.hex()[:8]}-{second.root.hex()[:8]}"
    path = folder / f"{name}.txt"
    write_atomically(path, proof.render().encode("utf-8"), mode=0o644)
    try:
        verify_proof(proof, verifier)
    except LedgerError:
        pass  # a rollback to a consistent checkpoint: written as evidence, proving no fork
    return path


async def _state_at(
    store: SqlLogStore, verifier: NoteVerifier, mine: NoteRow, head: NoteRow, registry: Registry
) -> AuditState:
    """The audit's state after the remembered entries, read back from the replay store
    (``registry``: the members as of them, which the audit advances)."""
    first = await store.entries(0, 1)
    return AuditState(
        origin=verifier.name,
        verifier=verifier,
        head=head,
        registry=registry,
        frontier=Frontier.load(mine.size, await store.nodes(root_nodes(mine.size))),
        previous=mine,
        first_leaf=first[0].leaf_hash,
    )


async def _registry(store: SqlLogStore) -> Registry:
    registry = Registry()
    for row in await store.entries_of_kinds(MEMBER_KINDS, 0):
        registry.apply(Entry.parse(row.data))
    return registry


async def _remember(
    store: SqlLogStore,
    projectors: Sequence[Projector],
    registry: Registry,
    rows: list[Row],
    since: int,
    head: NoteRow,
) -> None:
    """Commit the audited entries after ``since``, their nodes, the head and their
    projections to the replay store, in one transaction (``registry``: the members as of
    ``since``); an entry that repeats a nonce of an earlier one is a fault and nothing is
    kept."""
    fresh = sorted({row.seq: row for row in rows if since <= row.seq < head.size}.items())
    if [seq for seq, _ in fresh] != list(range(since, head.size)):
        raise AuditError(f"entries {since} to {head.size} were not all downloaded")
    parsed = [Entry.parse(row.data) for _, row in fresh]
    entries = [_entry_row(row.data, entry) for (_, row), entry in zip(fresh, parsed, strict=True)]
    frontier = Frontier.load(since, await store.nodes(root_nodes(since)))
    async with store.transaction() as tx:
        seen = await tx.seen_nonces({(e.key_id, e.nonce) for e in entries})
        for e in entries:
            if (e.key_id, e.nonce) in seen:
                fault = entry_fault(e.seq, f"repeats nonce {e.nonce} of key {e.key_id}")
                raise AuditError(fault.message)
        tx.append(entries, [node for e in entries for node in frontier.append(e.leaf_hash)])
        tx.add_checkpoint(CheckpointRow(head.size, head.root, head.note))
        await project(tx, projectors, registry, parsed)


def _entry_row(data: bytes, entry: Entry) -> EntryRow:
    s = entry.statement
    return EntryRow(entry.seq, hash_leaf(data), data, s.kind, s.key_id, s.nonce, entry.logged_at)
