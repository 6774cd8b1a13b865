"""consent: covering index for the granted subjects of a purpose (consent filter).

Revision ID: consent_0002
Revises: consent_0001
Create Date: 2025-01-02
"""

from __future__ import annotations

from alembic import op

revision = "consent_0002"
down_revision = "consent_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ix_consent_state_purpose_granted_subject."""
    op.create_index("ix_consent_state_purpose_granted_subject", "consent_state",
                    ["purpose", "granted", "subject"])


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ix_consent_state_purpose_granted_subject", table_name="consent_state")
