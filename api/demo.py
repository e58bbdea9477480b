"""The demo as a sequence of steps over a community's ledger (``coopledger demo``).

Each step is an object with a ``title`` and an async ``run(ctx)`` returning the events to
show; add a step by appending it to ``STEPS``. The community (origin, members, groups, rule
table) comes from the packaged ``ledger/data/community.json``. Member ids are opaque and
deterministic: ``m-`` and the first 10 hex digits of SHA-256(origin, newline, handle). Names
go to the erasable ``directory`` table, never to the log.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Protocol

from api.runtime import admit, init_ledger, running_ledger, save_directory
from ledger.config import DEFAULT_STEWARD_ID, LedgerConfig, Settings, data_dir, load_config
from ledger.keys import read_member_key, write_member_key
from ledger.service import Ledger
from ledger.signing import Keypair

MEMBER_KEYS_DIR = "members"


def load_community() -> dict[str, Any]:
    """The packaged demo community (a copy of the shared community data)."""
    text = resources.files("ledger").joinpath("data/community.json").read_text(encoding="utf-8")
    community: dict[str, Any] = json.loads(text)
    return community


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


@dataclass
class DemoContext:
    """What steps share: the open ledger, the community, the steward and the members."""

    config: LedgerConfig
    ledger: Ledger
    community: Mapping[str, Any]
    steward: Keypair
    members: dict[str, DemoMember] = field(default_factory=dict)


class DemoStep(Protocol):
    """A step of the demo."""

    title: str

    async def run(self, ctx: DemoContext) -> list[DemoEvent]:
        """Do the step's work on the ledger; return what happened."""


class AdmitMembers:
    """The steward admits every community member; names go to the directory."""

    title = "admit members"

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
            )
            await save_directory(
                ctx.ledger, member.member, handle=member.handle, name=member.name, email=None
            )
            ctx.members[member.handle] = member
            what = f"{member.name} ({member.kind}, {member.borough}) as {member.member}"
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


STEPS: tuple[DemoStep, ...] = (AdmitMembers(),)
"""The demo's steps, in order."""


@dataclass(frozen=True)
class DemoResult:
    """The demo's configuration, what it did, and whether it built a new ledger."""

    config: LedgerConfig
    events: list[DemoEvent]
    created: bool


async def run_demo(settings: Settings, *, steps: Sequence[DemoStep] = STEPS) -> DemoResult:
    """Build the demo ledger in the settings' data directory, step by step.

    A directory that already holds a ledger is reused as it is: no step runs again.
    """
    data = data_dir(settings)
    if data.exists():
        return DemoResult(load_config(settings), [], created=False)
    community = load_community()
    config = await init_ledger(settings, origin=community["origin"], steward_id=DEFAULT_STEWARD_ID)
    opened = f"opened log {config.origin}; first steward: {DEFAULT_STEWARD_ID}"
    events = [DemoEvent("init", opened, 0)]
    async with running_ledger(config) as ledger:
        ctx = DemoContext(config, ledger, community, config.steward())
        for step in steps:
            events.extend(await step.run(ctx))
    return DemoResult(config, events, created=True)
