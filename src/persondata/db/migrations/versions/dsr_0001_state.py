"""dsr: restrictions, deferred erasures and objections.

Revision ID: dsr_0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from persondata.db.base import UTCDateTime

revision = "dsr_0001"
down_revision = None
branch_labels = ("dsr",)
depends_on = None


def upgrade() -> None:
    """Create dsr_restriction, dsr_deferred_erasure and dsr_objection."""
    op.create_table(
        "dsr_restriction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.String(36), nullable=False),
        sa.Column("identity_hash", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("scope", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("request_ref", sa.String(100), nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("lifted_at", UTCDateTime(), nullable=True),
        sa.Column("lifted_by", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dsr_restriction")),
    )
    op.create_index(op.f("ix_dsr_restriction_group_id"), "dsr_restriction", ["group_id"])
    op.create_index("ix_dsr_restriction_active", "dsr_restriction", ["identity_hash", "lifted_at"])
    op.create_table(
        "dsr_deferred_erasure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.String(36), nullable=False),
        sa.Column("subject_hash", sa.String(64), nullable=False),
        sa.Column("system", sa.String(100), nullable=False),
        sa.Column("table_name", sa.String(200), nullable=False),
        sa.Column("row_key", sa.String(200), nullable=False),
        sa.Column("purpose", sa.String(100), nullable=True),
        sa.Column("law", sa.Text(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("request_ref", sa.String(100), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dsr_deferred_erasure")),
        sa.UniqueConstraint("subject_hash", "system", "table_name", "row_key",
                            name=op.f("uq_dsr_deferred_erasure_subject_hash_system_table_name_row_key")),
    )
    op.create_index(op.f("ix_dsr_deferred_erasure_group_id"), "dsr_deferred_erasure", ["group_id"])
    op.create_index(op.f("ix_dsr_deferred_erasure_subject_hash"), "dsr_deferred_erasure", ["subject_hash"])
    op.create_index("ix_dsr_deferred_erasure_due", "dsr_deferred_erasure", ["done_at", "due_on"])
    op.create_table(
        "dsr_objection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_hash", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("interest", sa.Text(), nullable=True),
        sa.Column("grounds", sa.Text(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("request_ref", sa.String(100), nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dsr_objection")),
    )
    op.create_index(op.f("ix_dsr_objection_subject_hash"), "dsr_objection", ["subject_hash"])
    op.create_index(op.f("ix_dsr_objection_status"), "dsr_objection", ["status"])


def downgrade() -> None:
    """Drop the DSR tables."""
    op.drop_table("dsr_objection")
    op.drop_table("dsr_deferred_erasure")
    op.drop_table("dsr_restriction")
