"""SQL for the breach register. Never commits: the boundary does."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from persondata.breaches.models import BreachCase, BreachEvent


def add_case(session: Session, case: BreachCase) -> BreachCase:
    """Insert a case and give it its reference (BR-0001, from its id)."""
    case.ref = f"new-{uuid.uuid4().hex[:16]}"
    session.add(case)
    session.flush()
    case.ref = format_ref(case.id)
    session.flush()
    return case


def format_ref(case_id: int) -> str:
    """The human reference of a case id."""
    return f"BR-{case_id:04d}"


def get_by_ref(session: Session, ref: str, *, for_update: bool = False) -> BreachCase | None:
    """A case by its reference, with its timeline."""
    stmt = select(BreachCase).where(BreachCase.ref == ref).options(selectinload(BreachCase.events))
    if for_update:
        stmt = stmt.with_for_update(of=BreachCase)
    return session.scalars(stmt).one_or_none()


def list_cases(session: Session, *, include_closed: bool = False) -> Sequence[BreachCase]:
    """Cases by awareness time, newest first."""
    stmt = select(BreachCase).order_by(BreachCase.aware_at.desc(), BreachCase.id.desc())
    if not include_closed:
        stmt = stmt.where(BreachCase.status != "closed")
    return session.scalars(stmt).all()


def add_event(session: Session, case: BreachCase, *, at: datetime, actor: str, action: str,
              changes: dict[str, Any], note: str | None = None) -> BreachEvent:
    """Append one entry to a case's timeline."""
    event = BreachEvent(case=case, at=at, actor=actor, action=action, changes=changes, note=note)
    session.add(event)
    return event
