"""SQL of the vault: find, add and shred data keys."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session

from persondata.vault.models import VaultKey


def current_key(session: Session, subject: str, start: datetime | None = None,
                end: datetime | None = None) -> VaultKey | None:
    """The subject's newest key that is not shredded (created in [start, end) when given)."""
    stmt = select(VaultKey).where(VaultKey.subject == subject, VaultKey.shredded_at.is_(None))
    if start is not None and end is not None:
        stmt = stmt.where(VaultKey.created_at >= start, VaultKey.created_at < end)
    return session.scalars(stmt.order_by(VaultKey.created_at.desc()).limit(1)).first()


def get(session: Session, key_id: str) -> VaultKey | None:
    """A key by id (shredded or not)."""
    return session.get(VaultKey, key_id)


def add(session: Session, key: VaultKey) -> None:
    """Store a new key."""
    session.add(key)
    session.flush()


def touch(session: Session, key_id: str, at: datetime) -> None:
    """Record that a key was used to encrypt at a time."""
    session.execute(update(VaultKey).where(VaultKey.id == key_id).values(last_used_at=at))


def _secure_delete(session: Session) -> None:
    if session.get_bind().dialect.name == "sqlite":
        # Overwrite freed content with zeros so the wrapped key does not linger in the file.
        session.execute(text("PRAGMA secure_delete=ON"))


def shred_subject(session: Session, subject: str, at: datetime) -> list[str]:
    """Destroy every live key of a subject; return their ids."""
    _secure_delete(session)
    ids = list(session.scalars(select(VaultKey.id).where(VaultKey.subject == subject,
                                                         VaultKey.shredded_at.is_(None))))
    if ids:
        session.execute(update(VaultKey).where(VaultKey.id.in_(ids))
                        .values(wrapped=None, shredded_at=at),
                        execution_options={"synchronize_session": False})
    return ids


def shred_ids(session: Session, key_ids: Iterable[str], at: datetime) -> list[str]:
    """Destroy the given keys (those not yet shredded); return the ids destroyed."""
    _secure_delete(session)
    wanted = sorted(set(key_ids))
    done: list[str] = []
    for i in range(0, len(wanted), 1000):
        chunk = wanted[i:i + 1000]
        ids = list(session.scalars(select(VaultKey.id).where(VaultKey.id.in_(chunk),
                                                             VaultKey.shredded_at.is_(None))))
        if ids:
            session.execute(update(VaultKey).where(VaultKey.id.in_(ids))
                            .values(wrapped=None, shredded_at=at),
                            execution_options={"synchronize_session": False})
            done += ids
    return done


def live_keys(session: Session, key_ids: Iterable[str]) -> list[VaultKey]:
    """The keys among key_ids that are not shredded."""
    wanted = sorted(set(key_ids))
    found: list[VaultKey] = []
    for i in range(0, len(wanted), 1000):
        chunk = wanted[i:i + 1000]
        found += session.scalars(select(VaultKey).where(VaultKey.id.in_(chunk),
                                                        VaultKey.shredded_at.is_(None)))
    return found


def all_live(session: Session) -> Sequence[VaultKey]:
    """Every key that is not shredded."""
    return session.scalars(select(VaultKey).where(VaultKey.shredded_at.is_(None))).all()


def compact(engine: Engine) -> None:
    """After a commit: fold SQLite's write-ahead log into the file and truncate it, so no old page
    image holding a destroyed key survives (call outside any transaction)."""
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cur.close()
    finally:
        raw.close()
