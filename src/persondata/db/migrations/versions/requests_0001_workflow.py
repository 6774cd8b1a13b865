"""Subject request workflow: requests, timeline, verification codes, runs, steps, Art. 19 tasks.

Revision ID: requests_0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from persondata.db.base import UTCDateTime

revision = "requests_0001"
down_revision = None
branch_labels = ("requests",)
depends_on = None


def _fk(table: str) -> sa.ForeignKey:
    return sa.ForeignKey("subject_requests.id", name=f"fk_{table}_request_id_subject_requests")


def upgrade() -> None:
    """Create the request tables."""
    op.create_table(
        "subject_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("identities", sa.JSON, nullable=False),
        sa.Column("subject_hash", sa.String(64), nullable=False),
        sa.Column("contact_email", sa.String(320), nullable=True),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("original_due_on", sa.Date, nullable=False),
        sa.Column("extended", sa.Boolean, nullable=False),
        sa.Column("extension_months", sa.Integer, nullable=False),
        sa.Column("extension_reason", sa.Text, nullable=True),
        sa.Column("extended_at", UTCDateTime(), nullable=True),
        sa.Column("verification", sa.String(16), nullable=False),
        sa.Column("verified_at", UTCDateTime(), nullable=True),
        sa.Column("verified_by", sa.String(200), nullable=True),
        sa.Column("verification_note", sa.Text, nullable=True),
        sa.Column("rejection_reason", sa.Text, nullable=True),
        sa.Column("rejected_at", UTCDateTime(), nullable=True),
        sa.Column("queued_at", UTCDateTime(), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("closed_by", sa.String(200), nullable=True),
        sa.Column("result", sa.JSON, nullable=True),
        sa.Column("export_path", sa.Text, nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_subject_requests_state", "subject_requests", ["state"])
    op.create_index("ix_subject_requests_subject_hash", "subject_requests", ["subject_hash"])
    op.create_index("ix_subject_requests_due_on", "subject_requests", ["due_on"])

    op.create_table(
        "request_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, _fk("request_events"), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("from_state", sa.String(32), nullable=True),
        sa.Column("to_state", sa.String(32), nullable=True),
        sa.Column("details", sa.JSON, nullable=False),
    )
    op.create_index("ix_request_events_request_id", "request_events", ["request_id"])

    op.create_table(
        "request_codes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, _fk("request_codes"), nullable=False),
        sa.Column("code_hash", sa.String(255), nullable=False),
        sa.Column("sent_to", sa.String(320), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("invalidated_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_request_codes_request_id", "request_codes", ["request_id"])

    op.create_table(
        "request_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, _fk("request_runs"), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.UniqueConstraint("request_id", "attempt", name="uq_request_runs_request_id_attempt"),
    )
    op.create_index("ix_request_runs_request_id", "request_runs", ["request_id"])

    op.create_table(
        "request_steps",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, _fk("request_steps"), nullable=False),
        sa.Column("system", sa.String(100), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("request_id", "system", name="uq_request_steps_request_id_system"),
    )
    op.create_index("ix_request_steps_request_id", "request_steps", ["request_id"])

    op.create_table(
        "request_notifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, _fk("request_notifications"), nullable=False),
        sa.Column("recipient", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(32), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("done_by", sa.String(200), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.UniqueConstraint("request_id", "recipient", name="uq_request_notifications_request_id_recipient"),
    )
    op.create_index("ix_request_notifications_request_id", "request_notifications", ["request_id"])


def downgrade() -> None:
    """Drop the request tables."""
    for table in ("request_notifications", "request_steps", "request_runs", "request_codes",
                  "request_events", "subject_requests"):
        op.drop_table(table)
