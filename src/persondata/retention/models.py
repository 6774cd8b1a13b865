"""Retention's tables: runs, their items and batch journal, holds, opt-outs of logging."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from persondata.db.base import Base, UTCDateTime

Id = BigInteger().with_variant(Integer(), "sqlite")


class RetentionRun(Base):
    """One `retention run`: when, as of which time, how it went, and its totals."""

    __tablename__ = "retention_run"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)  # running|completed|failed
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    owner: Mapped[str] = mapped_column(String(200), nullable=False)  # host:pid running it
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    batch_size: Mapped[int] = mapped_column(Integer, nullable=False)
    policy_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totals: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class RetentionRunItem(Base):
    """What a run did to one table for one reason: rows deleted, anonymised, held, blocked."""

    __tablename__ = "retention_run_item"
    __table_args__ = (Index("ix_retention_run_item_run_id", "run_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("retention_run.id"), nullable=False)
    system: Mapped[str] = mapped_column(String(200), nullable=False)
    table: Mapped[str] = mapped_column(String(200), nullable=False)
    rule: Mapped[str] = mapped_column(String(500), nullable=False)
    action: Mapped[str] = mapped_column(String(20), nullable=False)  # delete|anonymise|hold|block
    rows: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    batches: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    oldest: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class RetentionBatch(Base):
    """Journal of one batch: written before the company transaction commits, closed after it.

    A batch left `pending` by a crash is settled by the next run: if its rows are gone (or
    anonymised) the company transaction committed and the batch is recorded as done with its
    audit entry; otherwise it never happened and the rows are simply expired again.
    """

    __tablename__ = "retention_batch"
    __table_args__ = (Index("ix_retention_batch_status", "status"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("retention_run.id"), nullable=False)
    system: Mapped[str] = mapped_column(String(200), nullable=False)
    table: Mapped[str] = mapped_column(String(200), nullable=False)
    rule: Mapped[str] = mapped_column(String(500), nullable=False)
    action: Mapped[str] = mapped_column(String(20), nullable=False)  # delete|anonymise
    keys: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    key_lo: Mapped[Any] = mapped_column(JSON, nullable=True)  # a range batch: lo < key <= hi
    key_hi: Mapped[Any] = mapped_column(JSON, nullable=True)
    key_ids: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)  # vault keys seen
    rows: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)  # pending|done|void
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class RetentionHold(Base):
    """A hold placed by the DPO on a subject, a table or a whole system (litigation, authority order)."""

    __tablename__ = "retention_hold"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(20), nullable=False)  # subject|table|system
    system: Mapped[str | None] = mapped_column(String(200), nullable=True)
    table: Mapped[str | None] = mapped_column(String(200), nullable=True)
    subject: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    identity_kind: Mapped[str | None] = mapped_column(String(50), nullable=True)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    placed_by: Mapped[str] = mapped_column(String(200), nullable=False)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    released_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class RetentionOptOut(Base):
    """A subject who opted out of logging: rows of tables that declare opt_out_flag expire at once."""

    __tablename__ = "retention_opt_out"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    identity_kind: Mapped[str] = mapped_column(String(50), nullable=False)
    since: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
