"""The demo's script: its steps in order, run over a fresh ledger (``coopledger demo``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from api.demo import (
    AdmitMembers,
    DemoContext,
    DemoEvent,
    DemoStep,
    DemoTable,
    load_members,
    members_table,
)
from api.demo_credits import CreditMonth, credit_tables
from api.demo_governance import (
    ChangedVote,
    OpenVote,
    Priorities,
    TermsOfReference,
    WorkingGroups,
    decision_table,
)
from api.runtime import init_ledger, running_ledger
from ledger.config import DEFAULT_STEWARD_ID, LedgerConfig, Settings, data_dir, load_config
from ledger.credits.community import load_community

STEPS: tuple[DemoStep, ...] = (
    AdmitMembers(),
    WorkingGroups(),
    TermsOfReference(),
    CreditMonth(),
    Priorities(),
    ChangedVote(),
    OpenVote(),
)
"""The demo's steps, in order."""


@dataclass(frozen=True)
class DemoResult:
    """The demo's configuration, what it did, and whether it built a new ledger."""

    config: LedgerConfig
    events: list[DemoEvent]
    created: bool
    tables: list[DemoTable] = field(default_factory=list)


CREATING = "creating the ledger"
REPORTING = "computing the reports"


def phases(steps: Sequence[DemoStep] = STEPS) -> list[str]:
    """What ``run_demo`` tells its ``progress``, in order, when it builds a ledger."""
    return [CREATING, *(step.progress for step in steps), REPORTING]


async def run_demo(
    settings: Settings,
    *,
    steps: Sequence[DemoStep] = STEPS,
    progress: Callable[[str], None] | None = None,
) -> DemoResult:
    """Build the demo ledger in the settings' data directory, step by step, calling
    ``progress`` with each of ``phases(steps)`` as it begins.

    A directory that already holds a ledger is reused as it is: no step runs again.
    """
    tell = progress or (lambda _: None)
    data = data_dir(settings)
    if data.exists():
        config = load_config(settings)
        shown = members_table(config, load_members(config, load_community()))
        return DemoResult(config, [], created=False, tables=[shown])
    community = load_community()
    tell(CREATING)
    config = await init_ledger(settings, origin=community["origin"], steward_id=DEFAULT_STEWARD_ID)
    opened = f"opened log {config.origin}; first steward: {DEFAULT_STEWARD_ID}"
    events = [DemoEvent("init", opened, 0), DemoEvent("init", "rule table version 1", 1)]
    async with running_ledger(config) as ledger:
        ctx = DemoContext(config, ledger, community, config.steward())
        for step in steps:
            tell(step.progress)
            events.extend(await step.run(ctx))
        tell(REPORTING)
        tables = [
            members_table(config, ctx.members),
            *await credit_tables(ctx),
            await decision_table(ctx),
        ]
    return DemoResult(config, events, created=True, tables=tables)
