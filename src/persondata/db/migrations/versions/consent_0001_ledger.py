"""consent: the consent ledger, its derived state and the suppression list.

Revision ID: consent_0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from persondata.db.base import UTCDateTime

revision = "consent_0001"
down_revision = None
branch_labels = ("consent",)
depends_on = None


def upgrade() -> None:
    """Create consent_event, consent_state and consent_suppression."""
    op.create_table(
        "consent_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True,
                  nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("identity_kind", sa.String(40), nullable=False),
        sa.Column("identity_value", sa.String(320), nullable=False),
        sa.Column("purpose", sa.String(100), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("policy_version", sa.String(50), nullable=False),
        sa.Column("notice_hash", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(500), nullable=True),
        sa.Column("ip_prefix", sa.String(50), nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("provenance", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_event")),
    )
    op.create_index("ix_consent_event_subject_purpose", "consent_event", ["subject", "purpose"])
    op.create_table(
        "consent_state",
        sa.Column("purpose", sa.String(100), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("purpose", "subject", name=op.f("pk_consent_state")),
    )
    op.create_index(op.f("ix_consent_state_subject"), "consent_state", ["subject"])
    op.create_table(
        "consent_suppression",
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_consent_suppression")),
    )


def downgrade() -> None:
    """Drop the consent tables."""
    op.drop_table("consent_suppression")
    op.drop_table("consent_state")
    op.drop_table("consent_event")
