"""vault: per-subject data keys for crypto-shredding.

Revision ID: vault_0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from persondata.db.base import UTCDateTime

revision = "vault_0001"
down_revision = None
branch_labels = ("vault",)
depends_on = None


def upgrade() -> None:
    """Create vault_key."""
    op.create_table(
        "vault_key",
        sa.Column("id", sa.String(22), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=True),
        sa.Column("master_id", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=False),
        sa.Column("shredded_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vault_key")),
    )
    op.create_index("ix_vault_key_subject_created_at", "vault_key", ["subject", "created_at"])


def downgrade() -> None:
    """Drop vault_key."""
    op.drop_table("vault_key")
