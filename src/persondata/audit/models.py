"""The audit log's table: one hash-chained entry per read or change of personal data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from persondata.db.base import Base, UTCDateTime

# INTEGER on SQLite makes the id the rowid (fast ordered scans); BIGINT elsewhere.
SequenceId = BigInteger().with_variant(Integer(), "sqlite")


class AuditEntry(Base):
    """One audit entry. `id` is a gap-free sequence; `hash` chains it to the entry before."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(SequenceId, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    action: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    subject: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    target: Mapped[str | None] = mapped_column(String(500), nullable=True)
    details: Mapped[str] = mapped_column(Text, nullable=False)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)
