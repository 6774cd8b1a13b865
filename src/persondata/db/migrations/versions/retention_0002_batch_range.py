"""retention: a batch may be journaled as a key range instead of a key list.

Revision ID: retention_0002
Revises: retention_0001
Create Date: 2025-01-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "retention_0002"
down_revision = "retention_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add key_lo / key_hi to retention_batch."""
    with op.batch_alter_table("retention_batch") as batch:
        batch.add_column(sa.Column("key_lo", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("key_hi", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop key_lo / key_hi."""
    with op.batch_alter_table("retention_batch") as batch:
        batch.drop_column("key_hi")
        batch.drop_column("key_lo")
