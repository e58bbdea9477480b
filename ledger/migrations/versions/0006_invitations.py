"""Invitations to join: who the board means to admit, and the key the invitee's browser made.

Off the log, like the directory: personal data, erased with it. The secret token of an
invitation is never stored, only its SHA-256.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invitations",
        sa.Column("token_sha256", sa.String(64), primary_key=True),
        sa.Column("member", sa.String(64), nullable=False, unique=True),
        sa.Column("handle", sa.String(80), nullable=True),
        sa.Column("name", sa.Text, nullable=True),
        sa.Column("email", sa.Text, nullable=True),
        sa.Column("member_kind", sa.String(64), nullable=False),
        sa.Column("borough", sa.String(80), nullable=False),
        sa.Column("roles", sa.Text, nullable=False),
        sa.Column("invited_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("expires_at", sa.String(40), nullable=False),
        sa.Column("public_key", sa.Text, nullable=True),
        sa.Column("accepted_at", sa.String(40), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("invitations")
