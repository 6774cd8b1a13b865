"""Queue messages in the outbox and build them for sending.

Every message has a unique key (`request:7:receipt`, `request:7:code:3`...): queueing the
same key again returns the message already there, so a retried job never sends twice.
Secret values (a verification code) are sealed with the secret key and wiped once sent;
the body kept as a record has them masked.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from persondata.errors import InputError
from persondata.mail import repository
from persondata.mail.models import OutboxMessage
from persondata.mail.render import mail_language, render
from persondata.mail.sealing import seal, unseal

MASK = "••••••"
MAX_ATTEMPTS = 5


def queue(session: Session, *, key: str, kind: str, language: str, to_addr: str,
          context: dict[str, Any], now: datetime, request_id: int | None = None,
          secret: dict[str, str] | None = None, secret_key: str = "",
          attachment: Path | None = None, attachment_name: str | None = None) -> OutboxMessage:
    """Add a message unless one with this key exists; return the one in the outbox."""
    existing = repository.by_key(session, key)
    if existing is not None:
        return existing
    if not to_addr or "@" not in to_addr:
        raise InputError(f"cannot queue {kind} mail: {to_addr!r} is not an e-mail address")
    render(kind, language, {**context, **{k: MASK for k in (secret or {})}})  # fails now, not later
    msg = OutboxMessage(
        key=key, request_id=request_id, kind=kind, language=mail_language(language), to_addr=to_addr,
        context=context, secret=seal(secret, secret_key) if secret else None,
        attachment_path=str(attachment) if attachment else None,
        attachment_name=attachment_name or (attachment.name if attachment else None),
        status="pending", attempts=0, created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(msg)
            session.flush()
    except IntegrityError:  # queued concurrently by another worker
        found = repository.by_key(session, key)
        assert found is not None
        return found
    return msg


def message_id_for(key: str, from_addr: str) -> str:
    """A Message-ID derived from the outbox key: the same message always has the same id."""
    domain = from_addr.rpartition("@")[2] or "persondata.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def build(msg: OutboxMessage, *, from_addr: str, secret_key: str,
          now: datetime) -> tuple[EmailMessage, str, str]:
    """The e-mail to send, plus the subject and body to keep on record (secrets masked)."""
    secrets = unseal(msg.secret, secret_key) if msg.secret else {}
    subject, body = render(msg.kind, msg.language, {**msg.context, **secrets})
    record_subject, record_body = render(msg.kind, msg.language,
                                         {**msg.context, **{k: MASK for k in secrets}})
    email = EmailMessage()
    email["Subject"] = subject
    email["From"] = from_addr
    email["To"] = msg.to_addr
    email["Date"] = format_datetime(now)
    email["Message-ID"] = message_id_for(msg.key, from_addr)
    email.set_content(body)
    if msg.attachment_path:
        path = Path(msg.attachment_path)
        maintype, subtype = ("application", "zip") if path.suffix == ".zip" else ("application",
                                                                                  "octet-stream")
        email.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype,
                             filename=msg.attachment_name or path.name)
    email["Content-Language"] = msg.language  # last: set_content and add_attachment move Content-* headers
    return email, record_subject, record_body
