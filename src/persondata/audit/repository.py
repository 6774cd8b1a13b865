"""SQL of the audit log: the chain lock, the head, appends, ordered streaming, the tail."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

from persondata.audit.chain import format_at
from persondata.audit.models import AuditEntry
from persondata.db.hot import HotStatement

# pg_advisory_xact_lock key: "persondata audit chain" folded into a signed 64-bit integer.
CHAIN_LOCK_KEY = 0x70645F6175646974

ENTRY = cast(Table, AuditEntry.__table__)
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
    rows = _HEAD.rows(session, {})  # every audited action reads it: a hot statement
    return None if not rows else (rows[0][0], rows[0][1])


_HEAD = HotStatement(select(ENTRY.c.id, ENTRY.c.hash).order_by(ENTRY.c.id.desc()).limit(1))
_INSERT = HotStatement(insert(ENTRY))


def insert_entries(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert fully formed entries (ids and hashes already computed)."""
    _INSERT.execute(session, rows)


def count(session: Session) -> int:
    """How many entries the log holds."""
    return int(session.execute(select(func.count()).select_from(AuditEntry)).scalar_one())


_SQL = "SELECT id, {at}, actor, action, subject, target, details, prev_hash, hash " \
       "FROM audit_entry ORDER BY id"
# The canonical time text straight from the database: SQLAlchemy stores SQLite times as
# 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC); PostgreSQL formats timestamptz in UTC itself.
_SQLITE_AT = "replace(at, ' ', 'T') || 'Z'"
_PG_AT = """to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


def stream(session: Session, batch_size: int = 20_000) -> Generator[Any, None, None]:
    """Every entry in id order as (id, at_text, actor, action, subject, target, details,
    prev_hash, hash), fetched in batches through a server-side cursor where supported.

    at_text is the canonical time text (chain.format_at) of the stored value. This is the
    hot path of `audit verify`, so it reads through the driver's cursor directly.
    """
    conn = session.connection()
    dialect = conn.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        yield from _stream_portable(session, batch_size)
        return
    dbapi: Any = conn.connection.driver_connection
    if dialect == "postgresql":
        cursor = dbapi.cursor(name="persondata_audit_stream")
        cursor.itersize = batch_size
        sql = _SQL.format(at=_PG_AT)
    else:
        cursor = dbapi.cursor()
        sql = _SQL.format(at=_SQLITE_AT)
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(batch_size):
            for row in rows:
                if type(row[1]) is not str or len(row[1]) != 27:  # not SQLAlchemy's format
                    row = (row[0], _reformat(row[1]), *row[2:])
                yield row
    finally:
        cursor.close()


def _reformat(text: Any) -> str:
    from datetime import UTC, datetime

    try:
        value = datetime.fromisoformat(str(text).removesuffix("Z"))
    except ValueError:
        return str(text)  # garbage stays garbage; the hash check reports it
    return format_at(value if value.tzinfo else value.replace(tzinfo=UTC))


def _stream_portable(session: Session, batch_size: int) -> Generator[Any, None, None]:
    stmt = select(*STREAM_COLUMNS).order_by(AuditEntry.id)
    result = session.execute(stmt, execution_options={"yield_per": batch_size})
    try:
        for row in result:
            yield (row[0], format_at(row[1]), *row[2:])
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
