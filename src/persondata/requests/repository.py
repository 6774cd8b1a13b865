"""SQL for requests, their timeline, codes, runs, steps and Art. 19 tasks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from persondata.requests.models import (
    NotificationTask,
    RequestEvent,
    RequestRun,
    RequestStep,
    SubjectRequest,
    VerificationCode,
)


def add(session: Session, obj: object) -> None:
    """Add a new row and flush it (so its id is known)."""
    session.add(obj)
    session.flush()


def get(session: Session, request_id: int, *, for_update: bool = False) -> SubjectRequest | None:
    """A request by id; locked for the transaction when for_update (PostgreSQL)."""
    q = select(SubjectRequest).where(SubjectRequest.id == request_id)
    if for_update:
        q = q.with_for_update()
    return session.scalars(q).first()


def listing(session: Session, states: Iterable[str] | None = None,
            limit: int = 500) -> Sequence[SubjectRequest]:
    """Requests ordered by deadline (earliest first), optionally only some states."""
    q = select(SubjectRequest)
    if states is not None:
        q = q.where(SubjectRequest.state.in_(list(states)))
    return session.scalars(q.order_by(SubjectRequest.due_on, SubjectRequest.id).limit(limit)).all()


def events(session: Session, request_id: int) -> Sequence[RequestEvent]:
    """A request's timeline, oldest first."""
    q = select(RequestEvent).where(RequestEvent.request_id == request_id).order_by(RequestEvent.id)
    return session.scalars(q).all()


def active_code(session: Session, request_id: int) -> VerificationCode | None:
    """The newest code of a request that is neither used nor invalidated."""
    q = (select(VerificationCode)
         .where(VerificationCode.request_id == request_id, VerificationCode.used_at.is_(None),
                VerificationCode.invalidated_at.is_(None))
         .order_by(VerificationCode.id.desc()))
    return session.scalars(q).first()


def latest_code(session: Session, request_id: int) -> VerificationCode | None:
    """The newest code of a request, whatever its state."""
    q = (select(VerificationCode).where(VerificationCode.request_id == request_id)
         .order_by(VerificationCode.id.desc()))
    return session.scalars(q).first()


def codes_sent_since(session: Session, request_id: int, since: datetime) -> list[datetime]:
    """When each code of a request was sent, for codes sent after `since` (oldest first)."""
    q = (select(VerificationCode.created_at)
         .where(VerificationCode.request_id == request_id, VerificationCode.created_at > since)
         .order_by(VerificationCode.created_at))
    return list(session.scalars(q))


def invalidate_codes(session: Session, request_id: int, now: datetime) -> int:
    """Invalidate every open code of a request; returns how many."""
    result = session.execute(
        update(VerificationCode)
        .where(VerificationCode.request_id == request_id, VerificationCode.used_at.is_(None),
               VerificationCode.invalidated_at.is_(None))
        .values(invalidated_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def runs(session: Session, request_id: int) -> Sequence[RequestRun]:
    """Execution attempts of a request, oldest first."""
    q = select(RequestRun).where(RequestRun.request_id == request_id).order_by(RequestRun.attempt)
    return session.scalars(q).all()


def get_run(session: Session, run_id: int) -> RequestRun | None:
    """An execution attempt by id."""
    return session.get(RequestRun, run_id)


def running_runs(session: Session) -> Sequence[RequestRun]:
    """Every attempt recorded as running (live, or left behind by a dead worker)."""
    return session.scalars(select(RequestRun).where(RequestRun.status == "running")).all()


def in_progress_ids(session: Session) -> list[int]:
    """Ids of requests in progress."""
    q = select(SubjectRequest.id).where(SubjectRequest.state == "in_progress").order_by(SubjectRequest.id)
    return list(session.scalars(q))


def steps(session: Session, request_id: int) -> Sequence[RequestStep]:
    """Systems already done for a request."""
    q = select(RequestStep).where(RequestStep.request_id == request_id).order_by(RequestStep.id)
    return session.scalars(q).all()


def tasks(session: Session, request_id: int) -> Sequence[NotificationTask]:
    """Art. 19 tasks of a request."""
    q = (select(NotificationTask).where(NotificationTask.request_id == request_id)
         .order_by(NotificationTask.recipient))
    return session.scalars(q).all()


def task(session: Session, request_id: int, recipient: str) -> NotificationTask | None:
    """One Art. 19 task by recipient key."""
    q = select(NotificationTask).where(NotificationTask.request_id == request_id,
                                       NotificationTask.recipient == recipient)
    return session.scalars(q).first()
