"""Credit projections: rule tables, sessions, claims, awards, corrections, disputes.

These tables are rebuilt from the log (``coopledger rebuild``), so unlike the log tables they
carry no append-only triggers.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TABLES = (
    "credit_disputes",
    "credit_corrections",
    "credit_awards",
    "credit_claims",
    "credit_attendees",
    "credit_sessions",
    "credit_rule_tables",
)


def _member(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(64), nullable=nullable)


def _seq(name: str = "seq", nullable: bool = False, primary_key: bool = False) -> sa.Column[int]:
    return sa.Column(
        name, sa.BigInteger, nullable=nullable, primary_key=primary_key, autoincrement=False
    )


def upgrade() -> None:
    op.create_table(
        "credit_rule_tables",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        _seq(),
        _seq("decision", nullable=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("logged_at", sa.String(40), nullable=False),
    )
    _sessions()
    _claims()
    _awards()
    _corrections_and_disputes()


def _sessions() -> None:
    op.create_table(
        "credit_sessions",
        _seq(primary_key=True),
        _member("organiser"),
        sa.Column("activity", sa.String(64), nullable=False),
        sa.Column("rule_version", sa.Integer, nullable=False),
        sa.Column("held_on", sa.String(10), nullable=False),
        sa.Column("working_group", sa.String(64), nullable=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("logged_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "credit_attendees",
        _seq("session", primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
        _member("member"),
        sa.UniqueConstraint("session", "member", name="uq_credit_attendees_member"),
    )


def _claims() -> None:
    op.create_table(
        "credit_claims",
        _seq(primary_key=True),
        _member("member"),
        sa.Column("activity", sa.String(64), nullable=False),
        sa.Column("rule_version", sa.Integer, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("evidence_sha256", sa.String(64), nullable=False),
        sa.Column("done_on", sa.String(10), nullable=False),
        _member("counterparty", nullable=True),
        sa.Column("bid", sa.String(64), nullable=True),
        sa.Column("working_group", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        _seq("closed_by", nullable=True),
        sa.Column("logged_at", sa.String(40), nullable=False),
    )
    op.create_index(
        "ix_credit_claims_member_evidence", "credit_claims", ["member", "evidence_sha256"]
    )


def _awards() -> None:
    op.create_table(
        "credit_awards",
        _seq(primary_key=True),
        _member("member"),
        sa.Column("activity", sa.String(64), nullable=False),
        sa.Column("rule_version", sa.Integer, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("credits", sa.Integer, nullable=False),
        sa.Column("net", sa.Integer, nullable=False),
        _member("approver"),
        _member("counterparty", nullable=True),
        _member("pair_a", nullable=True),
        _member("pair_b", nullable=True),
        sa.Column("bid", sa.String(64), nullable=True),
        sa.Column("working_group", sa.String(64), nullable=True),
        sa.Column("activity_on", sa.String(10), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("basis", sa.String(8), nullable=False),
        _seq("basis_seq"),
        _seq("reversed_by", nullable=True),
        sa.Column("logged_at", sa.String(40), nullable=False),
        sa.UniqueConstraint("basis", "basis_seq", "member", name="uq_credit_awards_basis"),
    )
    op.create_index(
        "ix_credit_awards_member_month", "credit_awards", ["member", "month", "activity"]
    )
    op.create_index(
        "ix_credit_awards_pair", "credit_awards", ["activity", "pair_a", "pair_b", "month"]
    )
    op.create_index("ix_credit_awards_bid", "credit_awards", ["member", "activity", "bid"])
    op.create_index("ix_credit_awards_month", "credit_awards", ["month"])


def _corrections_and_disputes() -> None:
    op.create_table(
        "credit_corrections",
        _seq(primary_key=True),
        _seq("award"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("credits", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        _member("signer"),
        sa.Column("logged_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_credit_corrections_award", "credit_corrections", ["award"])
    op.create_table(
        "credit_disputes",
        _seq(primary_key=True),
        _seq("award"),
        _member("disputer"),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("logged_at", sa.String(40), nullable=False),
        _seq("resolved_by", nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        _member("resolver", nullable=True),
    )
    op.create_index("ix_credit_disputes_award", "credit_disputes", ["award"])


def downgrade() -> None:
    for table in _TABLES:
        op.drop_table(table)
