"""SQL of retention's state: runs, items, the batch journal, holds, opt-outs; consent lookups."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from persondata.db.hot import HotStatement
from persondata.retention.models import (
    RetentionBatch,
    RetentionHold,
    RetentionOptOut,
    RetentionRun,
    RetentionRunItem,
)

CHUNK = 1000


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


# -- runs ---------------------------------------------------------------------------------


def add_run(session: Session, run: RetentionRun) -> RetentionRun:
    """Insert a run (its id is set on return)."""
    session.add(run)
    session.flush()
    return run


def get_run(session: Session, run_id: int) -> RetentionRun | None:
    """A run by id."""
    return session.get(RetentionRun, run_id)


def runs(session: Session, limit: int = 20) -> list[RetentionRun]:
    """The newest runs, newest first."""
    return list(session.scalars(select(RetentionRun).order_by(RetentionRun.id.desc()).limit(limit)))


def running(session: Session) -> list[RetentionRun]:
    """Runs still marked running (alive, or crashed)."""
    return list(session.scalars(select(RetentionRun).where(RetentionRun.status == "running")
                                .order_by(RetentionRun.id)))


def items(session: Session, run_id: int) -> list[RetentionRunItem]:
    """A run's items in insertion order."""
    return list(session.scalars(select(RetentionRunItem).where(RetentionRunItem.run_id == run_id)
                                .order_by(RetentionRunItem.id)))


def bump_item(session: Session, run_id: int, system: str, table: str, rule: str, action: str,
              rows: int, batches: int = 1, oldest: datetime | None = None) -> None:
    """Add rows (and a batch) to a run's item, creating it on first use."""
    item = session.scalars(select(RetentionRunItem).where(
        RetentionRunItem.run_id == run_id, RetentionRunItem.system == system,
        RetentionRunItem.table == table, RetentionRunItem.rule == rule[:500],
        RetentionRunItem.action == action)).first()
    if item is None:
        session.add(RetentionRunItem(run_id=run_id, system=system, table=table, rule=rule[:500],
                                     action=action, rows=rows, batches=batches, oldest=oldest))
    else:
        item.rows += rows
        item.batches += batches
        if oldest is not None and (item.oldest is None or oldest < item.oldest):
            item.oldest = oldest
    session.flush()


# -- batch journal ------------------------------------------------------------------------


def add_batch(session: Session, batch: RetentionBatch) -> RetentionBatch:
    """Journal a batch before its company transaction."""
    session.add(batch)
    session.flush()
    return batch


def pending_batches(session: Session) -> list[RetentionBatch]:
    """Batches a crash left between the company commit and the journal."""
    return list(session.scalars(select(RetentionBatch).where(RetentionBatch.status == "pending")
                                .order_by(RetentionBatch.id)))


def close_batch(session: Session, batch_id: int, status: str, at: datetime) -> None:
    """Mark a batch done or void and drop its key list."""
    session.execute(update(RetentionBatch).where(RetentionBatch.id == batch_id)
                    .values(status=status, finished_at=at, keys=None))


# -- holds --------------------------------------------------------------------------------


def add_hold(session: Session, hold: RetentionHold) -> RetentionHold:
    """Insert a hold."""
    session.add(hold)
    session.flush()
    return hold


def get_hold(session: Session, hold_id: int) -> RetentionHold | None:
    """A hold by id."""
    return session.get(RetentionHold, hold_id)


def holds(session: Session, *, active_at: datetime | None = None) -> list[RetentionHold]:
    """Holds in id order; with active_at only those in force then (not released, not ended)."""
    stmt = select(RetentionHold).order_by(RetentionHold.id)
    if active_at is not None:
        stmt = stmt.where(_in_force(active_at))
    return list(session.scalars(stmt))


def active_holds(session: Session, at: datetime) -> list[Any]:
    """The holds in force at a time, as plain rows (id, scope, subject, system, table, reason,
    ends_at): a Core statement, as every erasure request asks."""
    return _ACTIVE_HOLDS.rows(session, {"at": at})


_HOLDS = cast(Table, RetentionHold.__table__)


def _in_force(at: Any) -> ColumnElement[bool]:
    """Holds in force at a time (a datetime, or a bound parameter): not released, not ended."""
    return and_(_HOLDS.c.released_at.is_(None), or_(_HOLDS.c.ends_at.is_(None), _HOLDS.c.ends_at > at))


_ACTIVE_HOLDS = HotStatement(
    select(_HOLDS.c.id, _HOLDS.c.scope, _HOLDS.c.subject, _HOLDS.c.system, _HOLDS.c.table, _HOLDS.c.reason,
           _HOLDS.c.ends_at).where(_in_force(bindparam("at"))).order_by(_HOLDS.c.id))


# -- opt-outs of logging ------------------------------------------------------------------


def opt_out(session: Session, subject: str) -> RetentionOptOut | None:
    """A subject's opt-out record."""
    return session.scalars(select(RetentionOptOut).where(RetentionOptOut.subject == subject)).first()


def add_opt_out(session: Session, row: RetentionOptOut) -> None:
    """Insert an opt-out record."""
    session.add(row)
    session.flush()


def any_opt_out(session: Session) -> bool:
    """True when some subject has opted out of logging."""
    return session.scalars(select(RetentionOptOut.id).where(RetentionOptOut.active.is_(True))
                           .limit(1)).first() is not None


def opt_outs_among(session: Session, subjects: Iterable[str]) -> dict[str, datetime]:
    """Active opt-outs among subjects: subject -> since."""
    wanted = sorted(set(subjects))
    out: dict[str, datetime] = {}
    for chunk in _chunks(wanted):
        rows = session.execute(select(RetentionOptOut.subject, RetentionOptOut.since).where(
            RetentionOptOut.subject.in_(chunk), RetentionOptOut.active.is_(True)))
        out.update({r[0]: r[1] for r in rows})
    return out


# -- consent state (read) -----------------------------------------------------------------


def consent_among(session: Session, purposes: Sequence[str],
                  subjects: Iterable[str]) -> dict[tuple[str, str], tuple[bool, datetime]]:
    """Current consent of subjects for purposes: (subject, purpose) -> (granted, since)."""
    from persondata.consent.models import ConsentState

    wanted = sorted(set(subjects))
    out: dict[tuple[str, str], tuple[bool, datetime]] = {}
    if not purposes:
        return out
    for chunk in _chunks(wanted):
        rows = session.execute(select(ConsentState.subject, ConsentState.purpose, ConsentState.granted,
                                      ConsentState.at)
                               .where(ConsentState.subject.in_(chunk),
                                      ConsentState.purpose.in_(list(purposes))))
        out.update({(r[0], r[1]): (bool(r[2]), r[3]) for r in rows})
    return out


# -- DSR restrictions (read) --------------------------------------------------------------


def group_identity_hashes(session: Session, group_id: str) -> list[str]:
    """The identity hashes restricted together in one DSR restriction group."""
    from persondata.dsr.models import Restriction

    return list(session.scalars(select(Restriction.identity_hash).where(Restriction.group_id == group_id)))
