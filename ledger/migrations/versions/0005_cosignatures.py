"""Witnessing: the cosignatures of checkpoints, and the size each witness last cosigned.

``cosignatures`` holds one verified signature line per checkpoint size and witness (named
by its vkey); the log's reads attach them to the checkpoint's note. ``witness_state`` holds,
per witness, the tree size it last cosigned, from which the next push proves consistency.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cosignatures",
        sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("witness", sa.Text, primary_key=True),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("line", sa.Text, nullable=False),
        sa.Column("stored_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "witness_state",
        sa.Column("witness", sa.Text, primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("witness_state")
    op.drop_table("cosignatures")
