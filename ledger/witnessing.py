"""The log side of witnessing: which witnesses, how many must cosign, and what they are sent.

A ledger names N witnesses (each a URL and a ``cosignature/v1`` verifier key) and a quorum
K, 1 <= K <= N: a checkpoint is *witnessed* when at least K of those N witnesses cosigned
it (C2SP tlog-cosignature v1.0.1). The log obtains cosignatures with C2SP tlog-witness
v1.0.0's ``add-checkpoint`` (its body is ``ledger.witness.format_add_checkpoint``); this
module reads the size a witness answers a conflict with. No I/O here:
``ledger.witness_push`` does the pushing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ledger.cosignature import Cosignature, CosignerVerifier, open_cosignatures
from ledger.errors import InvalidCheckpointError, KeyFileError, NotWitnessedError, VerificationError
from ledger.note import NoteVerifier, decode_note, parse_signature_line, split_note

MAX_WITNESSES = 32
"""The most witnesses a ledger names: each adds a line to every checkpoint note, and
verifiers need accept no more than 100 signature lines (C2SP signed-note)."""
ADD_CHECKPOINT = "add-checkpoint"
SIZE_CONTENT_TYPE = "text/x.tlog.size"
"""The media type of a 409 answer's body: the size the witness last cosigned."""
_SIZE = re.compile(rb"(0|[1-9][0-9]{0,19})\n")


class WitnessConfigError(ValueError):
    """A witness entry or the quorum in the configuration is malformed."""


@dataclass(frozen=True)
class Witness:
    """One configured witness: where its ``add-checkpoint`` lives and its verifier key."""

    url: str
    verifier: CosignerVerifier

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise WitnessConfigError(f"witness URL {self.url!r} must be http(s)://host[/prefix]")
        if parts.query or parts.fragment:
            raise WitnessConfigError(f"witness URL {self.url!r} must not hold a query")

    @property
    def key(self) -> str:
        """The witness's vkey: how the store names it."""
        return self.verifier.vkey()

    @property
    def add_checkpoint_url(self) -> str:
        """``<submission prefix>/add-checkpoint``."""
        return f"{self.url.rstrip('/')}/{ADD_CHECKPOINT}"

    @classmethod
    def parse(cls, url: str, vkey: str) -> Witness:
        """A witness from its URL and vkey; ``WitnessConfigError`` if either is bad."""
        try:
            verifier = CosignerVerifier.from_vkey(vkey.strip())
        except (KeyFileError, ValueError) as e:
            raise WitnessConfigError(f"witness key {vkey[:60]!r}: {e}") from e
        return cls(url.strip(), verifier)


@dataclass(frozen=True)
class WitnessPolicy:
    """The configured witnesses and the quorum K of them that makes a checkpoint witnessed.

    No witnesses and a quorum of 0 is a ledger that is not witnessed.
    """

    witnesses: tuple[Witness, ...] = ()
    quorum: int = 0

    def __post_init__(self) -> None:
        count = len(self.witnesses)
        if count > MAX_WITNESSES:
            raise WitnessConfigError(f"at most {MAX_WITNESSES} witnesses, not {count}")
        keys = [w.key for w in self.witnesses]
        if len(set(keys)) != count or len({w.verifier.name for w in self.witnesses}) != count:
            raise WitnessConfigError("each witness (key and name) may be named once")
        low = 1 if count else 0
        if isinstance(self.quorum, bool) or not low <= self.quorum <= count:
            raise WitnessConfigError(f"the quorum must be {low} to {count}, not {self.quorum}")

    @property
    def verifiers(self) -> list[CosignerVerifier]:
        """The witnesses' verifier keys, in configured order."""
        return [w.verifier for w in self.witnesses]

    def witnessed(self, note: str) -> bool:
        """Whether ``note`` carries valid cosignatures by at least ``quorum`` witnesses."""
        if not self.witnesses:
            return False
        try:
            require_cosignatures(note, self.verifiers, self.quorum)
        except VerificationError:
            return False
        return True

    def with_witness(self, witness: Witness, quorum: int | None = None) -> WitnessPolicy:
        """This policy with ``witness`` added (or its URL replaced) and the quorum set."""
        others = tuple(w for w in self.witnesses if w.key != witness.key)
        witnesses = (*others, witness)
        return WitnessPolicy(witnesses, (self.quorum or 1) if quorum is None else quorum)

    def without_witness(self, key: str, quorum: int | None = None) -> WitnessPolicy:
        """This policy without the witness whose vkey is ``key``, the quorum set (by default
        kept, lowered to the witnesses left)."""
        left = tuple(w for w in self.witnesses if w.key != key)
        if len(left) == len(self.witnesses):
            raise WitnessConfigError(f"no witness has the key {key[:60]!r}")
        return WitnessPolicy(left, min(self.quorum, len(left)) if quorum is None else quorum)

    def to_json(self) -> dict[str, Any]:
        """The ``coopledger.json`` members: ``witnesses`` and ``witness_quorum``."""
        return {
            "witnesses": [{"url": w.url, "key": w.key} for w in self.witnesses],
            "witness_quorum": self.quorum,
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> WitnessPolicy:
        """Read ``witnesses`` (a list of ``{"url", "key"}``) and ``witness_quorum``."""
        items = document.get("witnesses", [])
        if not isinstance(items, list):
            raise WitnessConfigError("witnesses must be a list")
        witnesses = []
        for item in items:
            if not isinstance(item, dict) or set(item) != {"url", "key"}:
                raise WitnessConfigError('each witness is {"url": ..., "key": ...}')
            url, key = item["url"], item["key"]
            if not isinstance(url, str) or not isinstance(key, str):
                raise WitnessConfigError("a witness's url and key are strings")
            witnesses.append(Witness.parse(url, key))
        quorum = document.get("witness_quorum", 1 if witnesses else 0)
        if not isinstance(quorum, int):
            raise WitnessConfigError("witness_quorum must be an integer")
        return cls(tuple(witnesses), quorum)


def require_cosignatures(
    note: str | bytes, witnesses: Sequence[CosignerVerifier], quorum: int
) -> list[Cosignature]:
    """The valid cosignatures on ``note`` by ``witnesses``; at least ``quorum`` of them.

    Only the cosignatures are checked here, not the log's own signature. Raises
    ``NotWitnessedError`` when fewer than ``quorum`` distinct witnesses cosigned, and
    ``InvalidCheckpointError`` when a line by one of ``witnesses`` does not verify.
    """
    _, found = open_cosignatures(note, witnesses)
    if len(found) < quorum:
        raise NotWitnessedError(
            f"the checkpoint carries {len(found)} valid cosignature"
            f"{'' if len(found) == 1 else 's'} by the given witnesses; {quorum} required"
        )
    return found


def parse_tree_size(body: bytes) -> int:
    """The size in a ``text/x.tlog.size`` body (decimal, then a newline).

    Raises ``InvalidCheckpointError`` for anything else.
    """
    if _SIZE.fullmatch(body) is None:
        raise InvalidCheckpointError(f"not a tree size answer: {body[:40]!r}")
    return int(body)


def log_signed(note: str, log_key: NoteVerifier) -> str:
    """``note`` with only the log's own signature lines (what the log sends a witness)."""
    body, lines = split_note(decode_note(note))
    mine = [
        line for line in lines if parse_signature_line(line)[:2] == (log_key.name, log_key.key_id)
    ]
    return body + "\n" + "".join(line + "\n" for line in mine)


def witness_verifiers(keys: Iterable[str]) -> list[CosignerVerifier]:
    """The cosigner keys of ``keys`` (vkeys); ``KeyFileError`` naming the first bad one."""
    verifiers = []
    for key in keys:
        try:
            verifiers.append(CosignerVerifier.from_vkey(key.strip()))
        except (KeyFileError, ValueError) as e:
            raise KeyFileError(f"witness key {key[:60]!r}: {e}") from e
    return verifiers
