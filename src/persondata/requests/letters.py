"""The letters and e-mails of a request: their template context, built from the request itself.

Every kind can be rendered again at any time from the stored request (for a letter by post,
`persondata requests letter ID KIND`); e-mails go through the outbox with a key per request
and kind, so the same letter is never sent twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from persondata.mail.authority import authority_for
from persondata.mail.models import OutboxMessage
from persondata.mail.outbox import queue
from persondata.mail.render import render
from persondata.policy.model import Policy
from persondata.requests.deadlines import local_date
from persondata.requests.models import SubjectRequest

LETTER_KINDS = ("receipt", "completion", "extension", "rejection")


def context_for(policy: Policy, req: SubjectRequest, kind: str) -> dict[str, Any]:
    """The template context of one kind of letter for a request."""
    c = policy.controller
    contact = policy.rights.contact if policy.rights.contact and "@" in policy.rights.contact else None
    ctx: dict[str, Any] = {
        "controller": {"name": c.name, "email": contact or c.email,
                       "address": c.address or "", "country": c.country},
        "request": {"id": req.id, "type": req.type, "channel": req.channel,
                    "received": local_date(req.received_at, c.country).isoformat(),
                    "due": req.due_on.isoformat(), "original_due": req.original_due_on.isoformat()},
    }
    if kind == "receipt":
        ctx["needs_code"] = req.verification == "email_code" and req.state != "verified"
    elif kind == "extension":
        ctx["months"] = req.extension_months
        ctx["reason"] = req.extension_reason or ""
    elif kind == "rejection":
        ctx["reason"] = req.rejection_reason or ""
        ctx["authority"] = authority_for(c.country, req.language)
    elif kind == "completion":
        ctx["summary"] = dict(req.result or {})
    return ctx


def render_letter(policy: Policy, req: SubjectRequest, kind: str) -> tuple[str, str]:
    """Subject line and text of a letter, for sending by post."""
    return render(kind, req.language, context_for(policy, req, kind))


def queue_mail(session: Session, policy: Policy, req: SubjectRequest, kind: str, *, key: str,
               now: Any, extra: dict[str, Any] | None = None, secret: dict[str, str] | None = None,
               secret_key: str = "", attachment: Path | None = None) -> OutboxMessage | None:
    """Queue one e-mail to the subject; None when the request has no e-mail address (send a letter)."""
    if not req.contact_email:
        return None
    context = {**context_for(policy, req, kind), **(extra or {})}
    return queue(session, key=key, kind=kind, language=req.language, to_addr=req.contact_email,
                 context=context, now=now, request_id=req.id, secret=secret, secret_key=secret_key,
                 attachment=attachment)
