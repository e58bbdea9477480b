"""GraphQL types of the log: checkpoints, entries, inclusion and consistency proofs, receipts."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from ledger.encoding import b64encode
from ledger.log import ConsistencyProof as DomainConsistency
from ledger.log import InclusionProof as DomainInclusion
from ledger.sequencer import Receipt as DomainReceipt
from ledger.statement import Entry as DomainEntry
from ledger.store import CheckpointRow, EntryRow


@strawberry.type(description="A signed tree head: a C2SP checkpoint (signed note).")
class Checkpoint:
    size: int = strawberry.field(description="The number of entries the tree holds.")
    root: str = strawberry.field(description="The RFC 9162 root hash, lowercase hex.")
    note: str = strawberry.field(description="The C2SP signed note, exactly as served.")

    @classmethod
    def from_domain(cls, row: CheckpointRow) -> Checkpoint:
        return cls(size=row.size, root=row.root.hex(), note=row.note)


@strawberry.type(description="One entry (leaf) of the log and the statement inside it.")
class Entry:
    seq: int
    logged_at: str
    kind: str
    key_id: str
    leaf_hash: str = strawberry.field(description="SHA-256(0x00 || entry bytes), hex.")
    data: str = strawberry.field(description="The exact entry bytes, standard base64.")
    statement: JSON = strawberry.field(description="The signed statement, as JSON.")
    signature: str = strawberry.field(description="The member's Ed25519 signature, base64.")

    @classmethod
    def from_domain(cls, row: EntryRow) -> Entry:
        entry = DomainEntry.parse(row.data)
        return cls(
            seq=row.seq,
            logged_at=row.logged_at,
            kind=row.kind,
            key_id=row.key_id,
            leaf_hash=row.leaf_hash.hex(),
            data=b64encode(row.data),
            statement=JSON(entry.statement.to_json()),
            signature=b64encode(entry.signed.signature),
        )


@strawberry.type(description="RFC 9162 inclusion proof of one entry in a tree of a given size.")
class InclusionProof:
    index: int
    size: int
    leaf_hash: str
    path: list[str]
    root: str

    @classmethod
    def from_domain(cls, proof: DomainInclusion) -> InclusionProof:
        return cls(
            index=proof.index,
            size=proof.size,
            leaf_hash=proof.leaf_hash.hex(),
            path=[node.hex() for node in proof.path],
            root=proof.root.hex(),
        )


@strawberry.type(description="RFC 9162 consistency proof between two tree sizes.")
class ConsistencyProof:
    first: int
    second: int
    path: list[str]
    first_root: str
    second_root: str

    @classmethod
    def from_domain(cls, proof: DomainConsistency) -> ConsistencyProof:
        return cls(
            first=proof.first,
            second=proof.second,
            path=[node.hex() for node in proof.path],
            first_root=proof.first_root.hex(),
            second_root=proof.second_root.hex(),
        )


@strawberry.type(description="Where an accepted statement landed: its entry and checkpoint.")
class Receipt:
    seq: int
    logged_at: str
    leaf_hash: str
    checkpoint: Checkpoint = strawberry.field(description="The first checkpoint including it.")

    @classmethod
    def from_domain(cls, receipt: DomainReceipt) -> Receipt:
        return cls(
            seq=receipt.entry.seq,
            logged_at=receipt.entry.logged_at,
            leaf_hash=receipt.entry.leaf_hash.hex(),
            checkpoint=Checkpoint.from_domain(receipt.checkpoint),
        )


@strawberry.type(description="The log's identity: what statements must name and who signs.")
class LogInfo:
    origin: str = strawberry.field(description="The origin every statement must name.")
    verifier_key: str = strawberry.field(description="The log's C2SP verifier key.")
    window_seconds: int = strawberry.field(description="How far issued_at may be from now.")
    private: bool = strawberry.field(description="Whether reads of the log need a login.")
    witness_keys: list[str] = strawberry.field(
        description="The verifier keys (cosignature/v1 vkeys) of the log's witnesses."
    )
    witness_quorum: int = strawberry.field(
        description="How many of those witnesses must cosign a checkpoint for it to be "
        "witnessed (0: the log names none)."
    )
