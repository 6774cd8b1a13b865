"""SQL of the audit log: the chain lock, the head, appends, ordered streaming, the tail."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from persondata.audit.models import AuditEntry

# pg_advisory_xact_lock key: "persondata audit chain" folded into a signed 64-bit integer.
CHAIN_LOCK_KEY = 0x70645F6175646974

STREAM_COLUMNS = (AuditEntry.id, AuditEntry.at, AuditEntry.actor, AuditEntry.action,
                  AuditEntry.subject, AuditEntry.target, AuditEntry.details,
                  AuditEntry.prev_hash, AuditEntry.hash)


def lock_chain(session: Session) -> None:
    """Serialise appenders until this transaction ends (PostgreSQL advisory lock).

    On SQLite every transaction already starts with BEGIN IMMEDIATE (the write lock),
    so nothing more is needed; other engines rely on the primary key to refuse a fork.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})


def head(session: Session) -> tuple[int, str] | None:
    """The newest entry's (id, hash), or None for an empty log."""
    row = session.execute(
        select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    return None if row is None else (row[0], row[1])


def insert_entries(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert fully formed entries (ids and hashes already computed)."""
    if rows:
        session.execute(insert(AuditEntry), list(rows))


def count(session: Session) -> int:
    """How many entries the log holds."""
    return int(session.execute(select(func.count()).select_from(AuditEntry)).scalar_one())


def stream(session: Session, batch_size: int = 20_000) -> Generator[Any, None, None]:
    """Every entry's columns in id order, fetched in batches (server-side cursor where supported)."""
    stmt = select(*STREAM_COLUMNS).order_by(AuditEntry.id)
    result = session.execute(stmt, execution_options={"yield_per": batch_size})
    try:
        yield from result
    finally:
        result.close()


def tail(session: Session, n: int) -> list[AuditEntry]:
    """The newest n entries, oldest first."""
    rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(n)).all()
    return list(reversed(rows))


def by_subject(session: Session, subject: str) -> list[AuditEntry]:
    """Every entry about one subject (keyed hash), oldest first."""
    return list(session.scalars(
        select(AuditEntry).where(AuditEntry.subject == subject).order_by(AuditEntry.id)
    ).all())
