"""SQL for the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from persondata.mail.models import OutboxMessage


def by_key(session: Session, key: str) -> OutboxMessage | None:
    """The message with this key, if any."""
    return session.scalars(select(OutboxMessage).where(OutboxMessage.key == key)).first()


def by_id(session: Session, message_id: int) -> OutboxMessage | None:
    """The message with this id, if any."""
    return session.get(OutboxMessage, message_id)


def pending_ids(session: Session, request_id: int | None = None, limit: int = 100) -> list[int]:
    """Ids of messages waiting to be sent, oldest first."""
    q = select(OutboxMessage.id).where(OutboxMessage.status == "pending")
    if request_id is not None:
        q = q.where(OutboxMessage.request_id == request_id)
    return list(session.scalars(q.order_by(OutboxMessage.id).limit(limit)))


def for_request(session: Session, request_id: int) -> Sequence[OutboxMessage]:
    """Every message of a request, in order."""
    q = select(OutboxMessage).where(OutboxMessage.request_id == request_id).order_by(OutboxMessage.id)
    return session.scalars(q).all()


def claim(session: Session, message_id: int) -> bool:
    """Mark a pending message as being sent; False when another sender got it first."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
        .values(status="sending", attempts=OutboxMessage.attempts + 1)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def mark(session: Session, message_id: int, status: str, *, error: str | None = None,
         sent_at: datetime | None = None, subject: str | None = None, body: str | None = None,
         message_header: str | None = None, wipe_secret: bool = False) -> None:
    """Record the outcome of a send."""
    msg = session.get(OutboxMessage, message_id)
    assert msg is not None
    msg.status = status
    msg.last_error = error
    if sent_at is not None:
        msg.sent_at = sent_at
    if subject is not None:
        msg.subject = subject
    if body is not None:
        msg.body = body
    if message_header is not None:
        msg.message_id = message_header
    if wipe_secret:
        msg.secret = None


def unsent(session: Session) -> Sequence[OutboxMessage]:
    """Every message not (yet) sent, oldest first."""
    q = select(OutboxMessage).where(OutboxMessage.status != "sent").order_by(OutboxMessage.id)
    return session.scalars(q).all()
