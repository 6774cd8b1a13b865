"""SQL of the consent ledger: append events, upsert the derived state, suppression, reads."""

from __future__ import annotations

from collections.abc import Callable, Collection, Generator, Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, insert, or_, select
from sqlalchemy.orm import Session

from persondata.consent.models import ConsentEvent, ConsentState, Suppression

CHUNK = 1000  # at most this many keys per IN (...)
EVENT = cast(Table, ConsentEvent.__table__)
STATE = cast(Table, ConsentState.__table__)
SUPPRESSION = cast(Table, Suppression.__table__)


def insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Append events; returns their ids in the order given."""
    if not rows:
        return []
    table = EVENT
    if len(rows) == 1:  # the common case: one event, one plain INSERT ... RETURNING
        return [session.connection().execute(insert(table).returning(table.c.id), rows[0]).scalar_one()]
    result = session.connection().execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), list(rows))
    return [r[0] for r in result]


def upsert_states(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Set state rows (purpose, subject, granted, at, event_id) unless the stored one is newer.

    At most one row per (purpose, subject) may be given: newer means a later `at`, or the
    same `at` and a higher event id.
    """
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    stmt: Any
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt = pg_insert(STATE)
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(STATE)
    else:  # persondata's state runs on SQLite or PostgreSQL
        raise NotImplementedError(f"consent state on {dialect}")
    ex, t = stmt.excluded, STATE.c
    newer = or_(ex.at > t.at, and_(ex.at == t.at, ex.event_id > t.event_id))
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.purpose, t.subject],
        set_={"granted": ex.granted, "at": ex.at, "event_id": ex.event_id},
        where=newer,
    )
    session.connection().execute(stmt, list(rows) if len(rows) > 1 else rows[0])


def state(session: Session, subject: str, purpose: str) -> ConsentState | None:
    """The current state of one (subject, purpose)."""
    return session.get(ConsentState, (purpose, subject))


def granted_row(session: Session, subject: str, purpose: str) -> tuple[bool, datetime, int] | None:
    """(granted, at, event_id) of one (subject, purpose), without building an ORM object."""
    row = session.execute(
        select(ConsentState.granted, ConsentState.at, ConsentState.event_id).where(
            ConsentState.purpose == purpose, ConsentState.subject == subject)
    ).first()
    return None if row is None else (row[0], row[1], row[2])


def granted_lookup(session: Session) -> Callable[[str, str], bool]:
    """A fast `(subject, purpose) -> granted` for this transaction (the `check` hot path).

    It runs one fixed, driver-prepared statement on the transaction's own connection,
    skipping SQLAlchemy's per-statement work; valid until the transaction ends.
    """
    tx = session.connection() and session.get_transaction()
    cached = session.info.get("persondata.consent.lookup")
    if cached is not None and cached[0] is tx:
        return cast(Callable[[str, str], bool], cached[1])
    conn = session.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"SELECT granted FROM consent_state WHERE purpose = {mark} AND subject = {mark}"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]

    def lookup(subject: str, purpose: str) -> bool:
        cursor.execute(sql, (purpose, subject))
        row = cursor.fetchone()
        return row is not None and bool(row[0])

    session.info["persondata.consent.lookup"] = (tx, lookup)
    return lookup


def states_of(session: Session, subject: str) -> list[ConsentState]:
    """Every purpose's state for one subject."""
    return list(session.scalars(select(ConsentState).where(ConsentState.subject == subject)
                                .order_by(ConsentState.purpose)).all())


def granted_among(session: Session, purpose: str, subjects: Collection[str]) -> set[str]:
    """Those of the subjects whose consent for the purpose is currently given."""
    found: set[str] = set()
    keys = list(subjects)
    for i in range(0, len(keys), CHUNK):
        found.update(session.scalars(select(ConsentState.subject).where(
            ConsentState.purpose == purpose, ConsentState.granted.is_(True),
            ConsentState.subject.in_(keys[i:i + CHUNK]))).all())
    return found


def granted_subjects(session: Session, purpose: str, batch_size: int = 50_000) -> Generator[str, None, None]:
    """Every subject whose consent for the purpose is given, streamed in batches."""
    result = session.execute(
        select(ConsentState.subject).where(ConsentState.purpose == purpose,
                                           ConsentState.granted.is_(True)),
        execution_options={"yield_per": batch_size},
    )
    try:
        for row in result:
            yield row[0]
    finally:
        result.close()


def granted_subject_set(session: Session, purpose: str, batch_size: int = 50_000) -> set[str]:
    """Every subject whose consent for the purpose is given, as a set (filtering millions).

    Read through the driver's cursor (server-side on PostgreSQL) in batches: this is the
    hot path of `consent filter`, a million rows in about a second.
    """
    conn = session.connection()
    if conn.dialect.name not in ("sqlite", "postgresql"):
        return set(granted_subjects(session, purpose, batch_size))
    dbapi: Any = conn.connection.driver_connection
    postgres = conn.dialect.name == "postgresql"
    cursor = dbapi.cursor(name="persondata_consent_granted") if postgres else dbapi.cursor()
    mark = "%s" if postgres else "?"
    try:
        if postgres:
            cursor.itersize = batch_size
        cursor.execute(f"SELECT subject FROM consent_state WHERE purpose = {mark} AND granted",
                       (purpose,))
        found: set[str] = set()
        while rows := cursor.fetchmany(batch_size):
            found.update(r[0] for r in rows)
        return found
    finally:
        cursor.close()


def events_of(session: Session, subject: str, purpose: str | None = None) -> list[ConsentEvent]:
    """Every event of one subject (optionally one purpose), in ledger order."""
    stmt = select(ConsentEvent).where(ConsentEvent.subject == subject)
    if purpose is not None:
        stmt = stmt.where(ConsentEvent.purpose == purpose)
    return list(session.scalars(stmt.order_by(ConsentEvent.id)).all())


def latest_identity(session: Session, subject: str) -> tuple[str, str] | None:
    """(kind, value) of the newest event of a subject: who a keyed hash belongs to."""
    row = session.execute(
        select(ConsentEvent.identity_kind, ConsentEvent.identity_value)
        .where(ConsentEvent.subject == subject).order_by(ConsentEvent.id.desc()).limit(1)
    ).first()
    return None if row is None else (row[0], row[1])


def all_events(session: Session, batch_size: int = 50_000) -> Generator[tuple[int, str, str, str, datetime],
                                                                        None, None]:
    """(id, subject, purpose, action, at) of every event, in id order, streamed."""
    result = session.execute(
        select(ConsentEvent.id, ConsentEvent.subject, ConsentEvent.purpose, ConsentEvent.action,
               ConsentEvent.at).order_by(ConsentEvent.id),
        execution_options={"yield_per": batch_size},
    )
    try:
        for row in result:
            yield row[0], row[1], row[2], row[3], row[4]
    finally:
        result.close()


def all_states(session: Session) -> Generator[tuple[str, str, bool, datetime, int], None, None]:
    """(purpose, subject, granted, at, event_id) of every state row."""
    result = session.execute(
        select(ConsentState.purpose, ConsentState.subject, ConsentState.granted, ConsentState.at,
               ConsentState.event_id), execution_options={"yield_per": 50_000})
    try:
        for row in result:
            yield row[0], row[1], row[2], row[3], row[4]
    finally:
        result.close()


def suppressed_among(session: Session, subjects: Iterable[str]) -> set[str]:
    """Those of the subjects that are on the suppression list."""
    keys = list(set(subjects))
    found: set[str] = set()
    for i in range(0, len(keys), CHUNK):
        found.update(session.scalars(
            select(Suppression.subject).where(Suppression.subject.in_(keys[i:i + CHUNK]))).all())
    return found


def suppressed_subjects(session: Session) -> Generator[str, None, None]:
    """Every suppressed subject, streamed."""
    result = session.execute(select(Suppression.subject), execution_options={"yield_per": 50_000})
    try:
        for row in result:
            yield row[0]
    finally:
        result.close()


def suppression(session: Session, subject: str) -> Suppression | None:
    """The suppression entry of a subject, if any."""
    return session.get(Suppression, subject)


def add_suppression(session: Session, row: dict[str, Any]) -> None:
    """Put a subject on the suppression list."""
    session.connection().execute(insert(SUPPRESSION), [row])


def granted_pairs(session: Session, subject: str, purposes: Collection[str]) -> list[str]:
    """Those of the purposes whose consent the subject currently gives."""
    if not purposes:
        return []
    return list(session.scalars(select(ConsentState.purpose).where(
        ConsentState.subject == subject, ConsentState.granted.is_(True),
        ConsentState.purpose.in_(list(purposes)))).all())


