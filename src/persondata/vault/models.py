"""The vault's table: one wrapped data key per row; a shredded key keeps only its tombstone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from persondata.db.base import Base, UTCDateTime


class VaultKey(Base):
    """A subject's AES-256 data key, wrapped (AES-GCM) by the master key; NULL once shredded."""

    __tablename__ = "vault_key"
    __table_args__ = (Index("ix_vault_key_subject_created_at", "subject", "created_at"),)

    id: Mapped[str] = mapped_column(String(22), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), nullable=False)
    wrapped: Mapped[bytes | None] = mapped_column(LargeBinary(), nullable=True)
    master_id: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    shredded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
