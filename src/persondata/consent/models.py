"""Tables of the consent ledger: events (append-only), derived state, suppression list.

Each event keeps the keyed hash of the identity (for matching) AND the normalised identity
itself: the event is the Art. 7(1) proof that this person consented, and the DPO must be
able to show whose consent it is. The suppression list keeps hashes only (Art. 21(3)).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from persondata.db.base import Base, UTCDateTime

SequenceId = BigInteger().with_variant(Integer(), "sqlite")


class ConsentEvent(Base):
    """One consent given or withdrawn. Never updated, never deleted."""

    __tablename__ = "consent_event"
    __table_args__ = (Index("ix_consent_event_subject_purpose", "subject", "purpose"),)

    id: Mapped[int] = mapped_column(SequenceId, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(64), nullable=False)
    identity_kind: Mapped[str] = mapped_column(String(40), nullable=False)
    identity_value: Mapped[str] = mapped_column(String(320), nullable=False)
    purpose: Mapped[str] = mapped_column(String(100), nullable=False)
    action: Mapped[str] = mapped_column(String(10), nullable=False)  # given | withdrawn
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    source: Mapped[str] = mapped_column(String(20), nullable=False)
    policy_version: Mapped[str] = mapped_column(String(50), nullable=False)
    notice_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(500), nullable=True)
    ip_prefix: Mapped[str | None] = mapped_column(String(50), nullable=True)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    provenance: Mapped[str | None] = mapped_column(Text, nullable=True)


class ConsentState(Base):
    """The current consent per (purpose, subject): the newest event by (at, id) decides."""

    __tablename__ = "consent_state"
    __table_args__ = (  # covering: `consent filter` reads a purpose's granted subjects from it alone
        Index("ix_consent_state_purpose_granted_subject", "purpose", "granted", "subject"),
    )

    purpose: Mapped[str] = mapped_column(String(100), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    granted: Mapped[bool] = mapped_column(Boolean, nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    event_id: Mapped[int] = mapped_column(BigInteger, nullable=False)


class Suppression(Base):
    """An identity (keyed hash only) that objected to direct marketing (Art. 21(3))."""

    __tablename__ = "consent_suppression"

    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    source: Mapped[str] = mapped_column(String(20), nullable=False)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
