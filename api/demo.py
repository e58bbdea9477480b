"""The demo as a sequence of steps over a community's ledger (``coopledger demo``).

Each step is an object with a ``title`` and an async ``run(ctx)`` returning the events to
show; add a step by appending it to ``STEPS``. The community (origin, members, groups, rule
table) comes from the packaged ``ledger/data/community.json``. Member ids are opaque and
deterministic: ``m-`` and the first 10 hex digits of SHA-256(origin, newline, handle). Names
go to the erasable ``directory`` table, never to the log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from api.runtime import admit, save_directory
from ledger.authoring import StatementFactory
from ledger.config import LedgerConfig
from ledger.keys import read_member_key, write_member_key
from ledger.service import Ledger
from ledger.signing import Keypair

MEMBER_KEYS_DIR = "members"
BOARD_HANDLES = frozenset({"south-data-coop"})
"""Demo members who also sit on the board beside the first steward."""


def member_id(origin: str, handle: str) -> str:
    """The opaque, deterministic member id of ``handle`` in the log ``origin``."""
    return "m-" + hashlib.sha256(f"{origin}\n{handle}".encode()).hexdigest()[:10]


@dataclass(frozen=True)
class DemoMember:
    """A demo member: handle and name (directory only), opaque id and key."""

    handle: str
    member: str
    name: str
    kind: str
    borough: str
    keypair: Keypair


@dataclass(frozen=True)
class DemoEvent:
    """One line of the demo's table."""

    step: str
    what: str
    seq: int | None = None


@dataclass(frozen=True)
class DemoTable:
    """A table the demo prints after its steps."""

    title: str
    columns: list[str]
    rows: list[list[str]]


@dataclass
class DemoContext:
    """What steps share: the open ledger, the community, the steward and the members."""

    config: LedgerConfig
    ledger: Ledger
    community: Mapping[str, Any]
    steward: Keypair
    members: dict[str, DemoMember] = field(default_factory=dict)

    def keypair(self, handle: str) -> Keypair:
        """The key of a member by handle (``steward`` for the first steward)."""
        return self.steward if handle == "steward" else self.members[handle].keypair

    async def submit(self, handle: str, kind: str, body: Mapping[str, Any]) -> int:
        """Sign ``body`` as the member ``handle`` and submit it; returns the entry's seq."""
        factory = StatementFactory(self.ledger.origin, self.ledger.clock)
        receipt = await self.ledger.submit(factory.sign(self.keypair(handle), kind, body))
        return receipt.entry.seq

    def members_of(self, group: str) -> list[DemoMember]:
        """The demo members whose community record lists ``group``."""
        listed = {r["handle"] for r in self.community["members"] if group in r["groups"]}
        return [m for handle, m in self.members.items() if handle in listed]


class DemoStep(Protocol):
    """A step of the demo."""

    title: str
    progress: str
    """What the step is doing, for the progress shown while the demo runs."""

    async def run(self, ctx: DemoContext) -> list[DemoEvent]:
        """Do the step's work on the ledger; return what happened."""


class AdmitMembers:
    """The steward admits every community member; names go to the directory."""

    title = "admit members"
    progress = "admitting the members"

    async def run(self, ctx: DemoContext) -> list[DemoEvent]:
        """Admit each member with a fresh key, saved under ``DIR/members`` (mode 0600)."""
        events = []
        for record in ctx.community["members"]:
            member = _new_member(ctx, record)
            receipt = await admit(
                ctx.ledger,
                ctx.config,
                member=member.member,
                public_key=member.keypair.public_key_b64,
                member_kind=member.kind,
                borough=member.borough,
                roles=["board"] if member.handle in BOARD_HANDLES else [],
            )
            await save_directory(
                ctx.ledger, member.member, handle=member.handle, name=member.name, email=None
            )
            ctx.members[member.handle] = member
            what = (
                f"{member.name} ({member.kind}, {member.borough}): "
                f"handle {member.handle}, id {member.member}"
            )
            events.append(DemoEvent(self.title, what, receipt.entry.seq))
        return events


def _new_member(ctx: DemoContext, record: Mapping[str, Any]) -> DemoMember:
    handle = str(record["handle"])
    keypair = Keypair.generate()
    ident = member_id(ctx.config.origin, handle)
    path = ctx.config.data.root / MEMBER_KEYS_DIR / f"{handle}.key"
    write_member_key(path, keypair, member=ident)
    return DemoMember(
        handle=handle,
        member=ident,
        name=str(record["name"]),
        kind=str(record["kind"]),
        borough=str(record["borough"]),
        keypair=keypair,
    )


def members_table(config: LedgerConfig, members: Mapping[str, DemoMember]) -> DemoTable:
    """The demo's members: the handle and the id (commands accept either), and the key file
    in the data directory."""
    rows = [
        [m.handle, m.member, m.kind, m.borough, f"{MEMBER_KEYS_DIR}/{h}.key"]
        for h, m in sorted(members.items())
    ]
    title = f"members (key files in {config.data.root})"
    return DemoTable(title, ["handle", "id", "kind", "borough", "key file"], rows)


def load_members(config: LedgerConfig, community: Mapping[str, Any]) -> dict[str, DemoMember]:
    """The members of an existing demo directory, with the keys saved by ``AdmitMembers``."""
    members = {}
    for record in community["members"]:
        handle = str(record["handle"])
        path = config.data.root / MEMBER_KEYS_DIR / f"{handle}.key"
        if not path.is_file():
            continue
        keypair, ident = read_member_key(path)
        members[handle] = DemoMember(
            handle=handle,
            member=ident or member_id(config.origin, handle),
            name=str(record["name"]),
            kind=str(record["kind"]),
            borough=str(record["borough"]),
            keypair=keypair,
        )
    return members
