"""persondata's own DSR state: restrictions (Art. 18), deferred erasures (Art. 17(3)), objections (Art. 21).

Subjects are stored only as keyed hashes of their identities (persondata.identity.Hasher):
a restriction has one row per identity of the subject, so any of them is recognised.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from persondata.db.base import Base, UTCDateTime


class Restriction(Base):
    """One identity of a restricted subject. Active while lifted_at is null.

    scope "subject": the subject asked for restriction (Art. 18); scope "held_rows": some of
    the subject's rows are held against an erasure request and count as restricted until
    the deferred erasure of `group_id` is carried out.
    """

    __tablename__ = "dsr_restriction"
    __table_args__ = (Index("ix_dsr_restriction_active", "identity_hash", "lifted_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[str] = mapped_column(String(36), index=True)
    identity_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(50))
    scope: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    request_ref: Mapped[str | None] = mapped_column(String(100))
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lifted_by: Mapped[str | None] = mapped_column(String(200))


class DeferredErasure(Base):
    """A row held against an erasure request; the retention engine erases it when due."""

    __tablename__ = "dsr_deferred_erasure"
    __table_args__ = (
        UniqueConstraint("subject_hash", "system", "table_name", "row_key"),
        Index("ix_dsr_deferred_erasure_due", "done_at", "due_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[str] = mapped_column(String(36), index=True)
    subject_hash: Mapped[str] = mapped_column(String(64), index=True)
    system: Mapped[str] = mapped_column(String(100))
    table_name: Mapped[str] = mapped_column(String(200))
    row_key: Mapped[str] = mapped_column(String(200))  # JSON of the primary-key value
    purpose: Mapped[str | None] = mapped_column(String(100))  # the legal_obligation purpose holding it
    law: Mapped[str | None] = mapped_column(Text)
    due_on: Mapped[date | None] = mapped_column(Date)  # None: the hold's end is not known yet
    request_ref: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Objection(Base):
    """An objection (Art. 21): applied at once for direct marketing, else for the DPO to decide."""

    __tablename__ = "dsr_objection"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_hash: Mapped[str] = mapped_column(String(64), index=True)
    purpose: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(30))  # direct_marketing | legitimate_interest | public_task
    interest: Mapped[str | None] = mapped_column(Text)  # the purpose's stated interest, as shown
    grounds: Mapped[str | None] = mapped_column(Text)  # the subject's reasons
    status: Mapped[str] = mapped_column(String(20), index=True)  # applied | pending | upheld | rejected
    request_ref: Mapped[str | None] = mapped_column(String(100))
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decision_note: Mapped[str | None] = mapped_column(Text)
