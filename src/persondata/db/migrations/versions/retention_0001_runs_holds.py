"""retention: runs, run items, batch journal, holds, opt-outs of logging.

Revision ID: retention_0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from persondata.db.base import UTCDateTime

revision = "retention_0001"
down_revision = None
branch_labels = ("retention",)
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the retention tables."""
    op.create_table(
        "retention_run",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("as_of", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("policy_hash", sa.String(64), nullable=True),
        sa.Column("totals", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_run")),
    )
    op.create_index(op.f("ix_retention_run_started_at"), "retention_run", ["started_at"])
    op.create_table(
        "retention_run_item",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("run_id", Id, nullable=False),
        sa.Column("system", sa.String(200), nullable=False),
        sa.Column("table", sa.String(200), nullable=False),
        sa.Column("rule", sa.String(500), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("batches", sa.Integer(), nullable=False),
        sa.Column("oldest", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["retention_run.id"],
                                name=op.f("fk_retention_run_item_run_id_retention_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_run_item")),
    )
    op.create_index("ix_retention_run_item_run_id", "retention_run_item", ["run_id"])
    op.create_table(
        "retention_batch",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("run_id", Id, nullable=False),
        sa.Column("system", sa.String(200), nullable=False),
        sa.Column("table", sa.String(200), nullable=False),
        sa.Column("rule", sa.String(500), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("keys", sa.JSON(), nullable=True),
        sa.Column("key_ids", sa.JSON(), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["retention_run.id"],
                                name=op.f("fk_retention_batch_run_id_retention_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_batch")),
    )
    op.create_index("ix_retention_batch_status", "retention_batch", ["status"])
    op.create_table(
        "retention_hold",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(20), nullable=False),
        sa.Column("system", sa.String(200), nullable=True),
        sa.Column("table", sa.String(200), nullable=True),
        sa.Column("subject", sa.String(64), nullable=True),
        sa.Column("identity_kind", sa.String(50), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_at", UTCDateTime(), nullable=False),
        sa.Column("placed_by", sa.String(200), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=True),
        sa.Column("released_at", UTCDateTime(), nullable=True),
        sa.Column("released_by", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_hold")),
    )
    op.create_index(op.f("ix_retention_hold_subject"), "retention_hold", ["subject"])
    op.create_table(
        "retention_opt_out",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("identity_kind", sa.String(50), nullable=False),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_opt_out")),
        sa.UniqueConstraint("subject", name=op.f("uq_retention_opt_out_subject")),
    )


def downgrade() -> None:
    """Drop the retention tables."""
    for name in ("retention_opt_out", "retention_hold", "retention_batch", "retention_run_item",
                 "retention_run"):
        op.drop_table(name)
