"""Breach register tables: one row per case, one row per change in its timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from persondata.db.base import Base, UTCDateTime


class BreachCase(Base):
    """A personal data breach, documented whether or not it is notifiable (Art. 33(5))."""

    __tablename__ = "breach_case"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    aware_at: Mapped[datetime] = mapped_column(UTCDateTime())
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    discovery: Mapped[str] = mapped_column(String(24))
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reporter_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reporter_contact: Mapped[str | None] = mapped_column(String(320), nullable=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    systems: Mapped[list[str]] = mapped_column(JSON, default=list)
    tables: Mapped[list[str]] = mapped_column(JSON, default=list)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    subjects_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    records_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    consequences: Mapped[str | None] = mapped_column(Text, nullable=True)
    measures_taken: Mapped[str | None] = mapped_column(Text, nullable=True)
    measures_proposed: Mapped[str | None] = mapped_column(Text, nullable=True)
    risk: Mapped[str | None] = mapped_column(String(16), nullable=True)
    authority_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    authority_reference: Mapped[str | None] = mapped_column(String(100), nullable=True)
    delay_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    subjects_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    subjects_exemption: Mapped[str | None] = mapped_column(Text, nullable=True)
    receipt_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    feedback_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closing_note: Mapped[str | None] = mapped_column(Text, nullable=True)

    events: Mapped[list[BreachEvent]] = relationship(
        back_populates="case", order_by="BreachEvent.id", cascade="all, delete-orphan"
    )


class BreachEvent(Base):
    """One entry in a case's timeline: who changed what, when, from which value to which."""

    __tablename__ = "breach_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("breach_case.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)

    case: Mapped[BreachCase] = relationship(back_populates="events")
