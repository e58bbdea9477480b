"""Governance: working groups, memberships, join requests, terms, proposals, ballots, texts.

The ``governance_*`` projection tables are rebuilt from the log, so they carry no append-only
triggers. ``governance_texts`` holds the texts the log names by hash; it is not rebuilt.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TABLES = (
    "governance_texts",
    "governance_ballots",
    "governance_proposals",
    "governance_terms",
    "governance_join_requests",
    "governance_memberships",
    "governance_groups",
)


def _member(name: str = "member", nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(64), nullable=nullable)


def _seq(name: str, nullable: bool = False, primary_key: bool = False) -> sa.Column[int]:
    return sa.Column(
        name, sa.BigInteger, nullable=nullable, primary_key=primary_key, autoincrement=False
    )


def _group(primary_key: bool = False) -> sa.Column[str]:
    return sa.Column("working_group", sa.String(64), nullable=False, primary_key=primary_key)


def _time(name: str = "logged_at", nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(40), nullable=nullable)


def upgrade() -> None:
    _groups()
    _proposals()
    op.create_table(
        "governance_texts",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        _time("stored_at"),
    )


def _groups() -> None:
    op.create_table(
        "governance_groups",
        sa.Column("slug", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        _seq("created_seq"),
        _time(),
    )
    op.create_table(
        "governance_memberships",
        _group(primary_key=True),
        sa.Column("member", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        _seq("since_seq"),
    )
    op.create_index("ix_governance_memberships_member", "governance_memberships", ["member"])
    op.create_table(
        "governance_join_requests",
        _seq("seq", primary_key=True),
        _group(),
        _member(),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _seq("closed_by", nullable=True),
        _time(),
    )
    op.create_index(
        "ix_governance_join_requests_open",
        "governance_join_requests",
        ["working_group", "member", "status"],
    )
    op.create_table(
        "governance_terms",
        _group(primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        _seq("decision"),
        _time(),
    )


def _proposals() -> None:
    op.create_table(
        "governance_proposals",
        _seq("seq", primary_key=True),
        _group(),
        _member("opener"),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("hidden", sa.Boolean, nullable=False),
        sa.Column("opening", sa.Text, nullable=False),
        sa.Column("seed", sa.String(64), nullable=False),
        _time("opens_at"),
        _time("closes_at"),
        sa.Column("action_type", sa.String(24), nullable=False),
        sa.Column("action_version", sa.Integer, nullable=True),
        sa.Column("status", sa.String(8), nullable=False),
        _seq("closed_by", nullable=True),
        sa.Column("close_reason", sa.String(16), nullable=True),
        sa.Column("seal_private_key", sa.String(64), nullable=True),
        _seq("decided_by", nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("passed", sa.Boolean, nullable=True),
        sa.Column("result", sa.Text, nullable=True),
        sa.Column("transcript_sha256", sa.String(64), nullable=True),
        sa.Column("statement_sha256", sa.String(64), nullable=True),
        sa.Column("review_on", sa.String(10), nullable=True),
        _time(),
    )
    op.create_index(
        "ix_governance_proposals_group", "governance_proposals", ["working_group", "status"]
    )
    op.create_index(
        "ix_governance_proposals_action",
        "governance_proposals",
        ["action_type", "action_version"],
    )
    op.create_index("ix_governance_proposals_decided_by", "governance_proposals", ["decided_by"])
    op.create_table(
        "governance_ballots",
        _seq("seq", primary_key=True),
        _seq("proposal"),
        _member(),
        sa.Column("ballot", sa.Text, nullable=True),
        sa.Column("sealed", sa.Text, nullable=True),
        _seq("superseded_by", nullable=True),
        sa.Column("spoiled", sa.Text, nullable=True),
        _time(),
    )
    op.create_index("ix_governance_ballots_proposal", "governance_ballots", ["proposal", "member"])


def downgrade() -> None:
    for table in _TABLES:
        op.drop_table(table)
