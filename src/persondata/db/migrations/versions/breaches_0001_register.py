"""breaches: the breach register (cases and their timeline).

Revision ID: breaches_0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from persondata.db.base import UTCDateTime

revision = "breaches_0001"
down_revision = None
branch_labels = ("breaches",)
depends_on = None


def upgrade() -> None:
    """Create breach_case and breach_event."""
    op.create_table(
        "breach_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(32), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("aware_at", UTCDateTime(), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=True),
        sa.Column("discovery", sa.String(24), nullable=False),
        sa.Column("reported_at", UTCDateTime(), nullable=True),
        sa.Column("reporter_name", sa.String(200), nullable=True),
        sa.Column("reporter_contact", sa.String(320), nullable=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("systems", sa.JSON(), nullable=False),
        sa.Column("tables", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("subjects_count", sa.Integer(), nullable=True),
        sa.Column("records_count", sa.Integer(), nullable=True),
        sa.Column("consequences", sa.Text(), nullable=True),
        sa.Column("measures_taken", sa.Text(), nullable=True),
        sa.Column("measures_proposed", sa.Text(), nullable=True),
        sa.Column("risk", sa.String(16), nullable=True),
        sa.Column("authority_notified_at", UTCDateTime(), nullable=True),
        sa.Column("authority_reference", sa.String(100), nullable=True),
        sa.Column("delay_reason", sa.Text(), nullable=True),
        sa.Column("subjects_notified_at", UTCDateTime(), nullable=True),
        sa.Column("subjects_exemption", sa.Text(), nullable=True),
        sa.Column("receipt_sent_at", UTCDateTime(), nullable=True),
        sa.Column("feedback_sent_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("closing_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breach_case")),
        sa.UniqueConstraint("ref", name=op.f("uq_breach_case_ref")),
    )
    op.create_index(op.f("ix_breach_case_status"), "breach_case", ["status"])
    op.create_table(
        "breach_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["breach_case.id"], ondelete="CASCADE",
                                name=op.f("fk_breach_event_case_id_breach_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breach_event")),
    )
    op.create_index(op.f("ix_breach_event_case_id"), "breach_event", ["case_id"])


def downgrade() -> None:
    """Drop the breach register."""
    op.drop_table("breach_event")
    op.drop_table("breach_case")
