"""SQL for the DSR state: restrictions, deferred erasures, objections. Nothing here commits."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from persondata.db.hot import HotStatement
from persondata.dsr.models import DeferredErasure, Objection, Restriction

_CHUNK = 1000


def row_key(value: Any) -> str:
    """The stored form of a primary-key value (JSON)."""
    return json.dumps(value, default=str)


def key_value(stored: str) -> Any:
    """A primary-key value back from its stored form."""
    return json.loads(stored)


# -- restrictions -------------------------------------------------------------------------


def restricted_hashes(session: Session) -> set[str]:
    """Identity hashes of every subject restricted now (for consent filter and send lists)."""
    stmt = select(Restriction.identity_hash).where(Restriction.lifted_at.is_(None)).distinct()
    rows = session.execute(stmt)
    return {r[0] for r in rows}


def is_restricted(session: Session, identity_hash: str) -> bool:
    """Whether one identity hash is restricted now (a single indexed lookup)."""
    stmt = select(Restriction.id).where(Restriction.identity_hash == identity_hash,
                                        Restriction.lifted_at.is_(None)).limit(1)
    return session.scalar(stmt) is not None


def restricted_among(session: Session, hashes: Iterable[str]) -> set[str]:
    """Which of the given identity hashes are restricted now (batched IN queries)."""
    wanted = list(dict.fromkeys(hashes))
    out: set[str] = set()
    for i in range(0, len(wanted), _CHUNK):  # on every access request's path: a hot statement
        part = wanted[i : i + _CHUNK]
        rows = _restricted_among(len(part)).rows(session, {f"h{n}": h for n, h in enumerate(part)})
        out.update(r[0] for r in rows)
    return out


_RESTRICTION = cast(Table, Restriction.__table__)


@lru_cache(maxsize=64)
def _restricted_among(n: int) -> HotStatement:
    """The restriction check for n hashes (one statement per list length)."""
    return HotStatement(select(_RESTRICTION.c.identity_hash).where(
        _RESTRICTION.c.identity_hash.in_([bindparam(f"h{i}") for i in range(n)]),
        _RESTRICTION.c.lifted_at.is_(None)).distinct())


def active_restrictions(session: Session, hashes: Sequence[str]) -> list[Restriction]:
    """The active restriction rows of any of the given identity hashes."""
    if not hashes:
        return []
    stmt = select(Restriction).where(Restriction.identity_hash.in_(list(hashes)),
                                     Restriction.lifted_at.is_(None)).order_by(Restriction.id)
    return list(session.scalars(stmt))


def add_restrictions(session: Session, rows: Sequence[Restriction]) -> None:
    """Insert restriction rows."""
    session.add_all(rows)
    session.flush()


def lift_restrictions(
    session: Session, hashes: Sequence[str], *, scope: str, at: datetime, by: str
) -> int:
    """Lift the active restrictions of a scope for the given identity hashes; returns how many."""
    if not hashes:
        return 0
    result = session.execute(
        update(Restriction)
        .where(Restriction.identity_hash.in_(list(hashes)), Restriction.scope == scope,
               Restriction.lifted_at.is_(None))
        .values(lifted_at=at, lifted_by=by))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def lift_group(session: Session, group_id: str, *, at: datetime, by: str) -> int:
    """Lift every active restriction of a group."""
    result = session.execute(
        update(Restriction).where(Restriction.group_id == group_id, Restriction.lifted_at.is_(None))
        .values(lifted_at=at, lifted_by=by))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# -- deferred erasures --------------------------------------------------------------------


def upsert_deferred(session: Session, items: Sequence[DeferredErasure]) -> tuple[int, int]:
    """Record held rows; an open record for the same subject and row is updated. (new, updated)."""
    existing: dict[tuple[str, str, str, str], DeferredErasure] = {}
    by_subject: dict[str, list[str]] = {}
    for item in items:
        by_subject.setdefault(item.subject_hash, []).append(item.row_key)
    for subject, keys in by_subject.items():
        for i in range(0, len(keys), _CHUNK):
            stmt = select(DeferredErasure).where(DeferredErasure.subject_hash == subject,
                                                 DeferredErasure.row_key.in_(keys[i : i + _CHUNK]))
            for row in session.scalars(stmt):
                existing[(row.subject_hash, row.system, row.table_name, row.row_key)] = row
    new = updated = 0
    for item in items:
        found = existing.get((item.subject_hash, item.system, item.table_name, item.row_key))
        if found is None:
            session.add(item)
            new += 1
            continue
        if found.done_at is not None:  # erased once and held again (re-inserted row): start over
            found.done_at = None
            found.group_id = item.group_id
        found.due_on, found.purpose, found.law = item.due_on, item.purpose, item.law
        updated += 1
    session.flush()
    return new, updated


def due_deferred(session: Session, as_of: date, *, limit: int | None = None,
                 include_unknown: bool = False) -> list[DeferredErasure]:
    """Open deferred erasures due on or before a date, oldest first (and, if asked, those without a date)."""
    due = DeferredErasure.due_on <= as_of
    when = or_(due, DeferredErasure.due_on.is_(None)) if include_unknown else due
    stmt = (select(DeferredErasure)
            .where(DeferredErasure.done_at.is_(None), when)
            .order_by(DeferredErasure.due_on, DeferredErasure.id))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def open_deferred(session: Session, *, subject_hashes: Sequence[str] | None = None,
                  group_ids: Sequence[str] | None = None) -> list[DeferredErasure]:
    """Open deferred erasures (of some subjects or groups, or all)."""
    stmt = select(DeferredErasure).where(DeferredErasure.done_at.is_(None))
    if subject_hashes is not None:
        stmt = stmt.where(DeferredErasure.subject_hash.in_(list(subject_hashes)))
    if group_ids is not None:
        stmt = stmt.where(DeferredErasure.group_id.in_(list(group_ids)))
    return list(session.scalars(stmt.order_by(DeferredErasure.id)))


def mark_deferred_done(session: Session, ids: Sequence[int], at: datetime) -> int:
    """Mark deferred erasures carried out."""
    if not ids:
        return 0
    result = session.execute(update(DeferredErasure).where(DeferredErasure.id.in_(list(ids)))
                             .values(done_at=at))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def open_in_group(session: Session, group_id: str) -> int:
    """How many deferred erasures of a group are still open."""
    return int(session.scalar(select(func.count()).select_from(DeferredErasure).where(
        DeferredErasure.group_id == group_id, DeferredErasure.done_at.is_(None))) or 0)


# -- objections ---------------------------------------------------------------------------


def add_objection(session: Session, objection: Objection) -> Objection:
    """Insert an objection."""
    session.add(objection)
    session.flush()
    return objection


def find_objection(session: Session, subject_hash: str, purpose: str) -> Objection | None:
    """The latest open or applied objection of a subject to a purpose."""
    stmt = (select(Objection)
            .where(Objection.subject_hash == subject_hash, Objection.purpose == purpose,
                   or_(Objection.status == "pending", Objection.status == "applied",
                       Objection.status == "upheld"))
            .order_by(Objection.id.desc()))
    return session.scalars(stmt).first()


def get_objection(session: Session, objection_id: int) -> Objection | None:
    """An objection by id."""
    return session.get(Objection, objection_id)


def pending_objections(session: Session) -> list[Objection]:
    """Objections waiting for the DPO's decision, oldest first."""
    stmt = select(Objection).where(and_(Objection.status == "pending")).order_by(Objection.id)
    return list(session.scalars(stmt))
