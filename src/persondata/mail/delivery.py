"""Deliver the outbox. A boundary like a job: it opens its own transactions, one per message.

Each message is claimed (pending -> sending) and committed before the SMTP conversation, and
marked sent after it. A failure puts it back to pending for a later try (at most five); a
process that dies mid-send leaves it in `sending`, which is never retried automatically, so a
message is never sent twice (`persondata requests outbox --retry ID` sends it again by hand).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from persondata.db.base import utcnow
from persondata.db.engine import Database
from persondata.errors import ConflictError, NotFoundError, PersondataError
from persondata.mail import repository
from persondata.mail.outbox import MAX_ATTEMPTS, build
from persondata.mail.smtp import Sender


@dataclass
class DeliveryReport:
    """What one delivery pass did."""

    sent: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    expired: list[int] = field(default_factory=list)


def deliver_pending(db: Database, sender: Sender, *, from_addr: str, secret_key: str,
                    request_id: int | None = None,
                    clock: Callable[[], datetime] = utcnow) -> DeliveryReport:
    """Send every pending message (of one request, or all) once."""
    report = DeliveryReport()
    with db.transaction() as session:
        ids = repository.pending_ids(session, request_id)
    for message_id in ids:
        _deliver_one(db, sender, message_id, from_addr, secret_key, clock, report)
    return report


def _deliver_one(db: Database, sender: Sender, message_id: int, from_addr: str, secret_key: str,
                 clock: Callable[[], datetime], report: DeliveryReport) -> None:
    with db.transaction() as session:
        if not repository.claim(session, message_id):
            return
        msg = repository.by_id(session, message_id)
        assert msg is not None
        now = clock()
        expires = msg.context.get("expires_at")
        if expires and datetime.fromisoformat(expires) <= now:
            repository.mark(session, message_id, "expired", wipe_secret=True)
            report.expired.append(message_id)
            return
        try:
            email, subject, body = build(msg, from_addr=from_addr, secret_key=secret_key, now=now)
        except (PersondataError, OSError) as exc:
            repository.mark(session, message_id, "failed", error=f"cannot build the message: {exc}")
            report.failed[message_id] = str(exc)
            return
        attempts = msg.attempts
    try:
        sender.send(email)
    except PersondataError as exc:
        with db.transaction() as session:
            status = "failed" if attempts >= MAX_ATTEMPTS else "pending"
            repository.mark(session, message_id, status, error=str(exc))
        report.failed[message_id] = str(exc)
        return
    with db.transaction() as session:
        repository.mark(session, message_id, "sent", sent_at=clock(), subject=subject, body=body,
                        message_header=str(email["Message-ID"]), wipe_secret=True)
    report.sent.append(message_id)


def retry(db: Database, message_id: int) -> None:
    """Put a failed or stuck message back in the queue (the DPO checked it was not delivered)."""
    with db.transaction() as session:
        msg = repository.by_id(session, message_id)
        if msg is None:
            raise NotFoundError(f"no outbox message {message_id}")
        if msg.status == "sent":
            raise ConflictError(f"message {message_id} was sent at {msg.sent_at:%Y-%m-%d %H:%M} UTC; "
                                "not sending it again")
        repository.mark(session, message_id, "pending", error=msg.last_error)

