"""Art. 19: tell every recipient about an erasure, rectification or restriction, one task each.

The recipients come from the DSR result (the purposes of the tables it touched); each becomes
a task on the request, and the DPO marks each done once the recipient has been told.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from persondata.errors import ConflictError, NotFoundError
from persondata.requests import repository
from persondata.requests.models import NotificationTask, SubjectRequest
from persondata.requests.schemas import ART19_TYPES, RequestType
from persondata.requests.service import Ctx, load, log_event


def create_tasks(session: Session, ctx: Ctx, req: SubjectRequest, recipients: Iterable[str]) -> list[str]:
    """One task per recipient key (idempotent); returns the keys of the tasks the request has."""
    if RequestType(req.type) not in ART19_TYPES:
        return []
    existing = {t.recipient for t in repository.tasks(session, req.id)}
    created = []
    for key in sorted(set(recipients)):
        if key in existing:
            continue
        spec = ctx.policy.recipients.get(key)
        name = spec.name_in(ctx.policy.controller.languages[0]) if spec else key  # for the DPO
        session.add(NotificationTask(
            request_id=req.id, recipient=key, name=name,
            role=spec.role.value if spec else None, country=spec.country if spec else None,
            created_at=ctx.now,
        ))
        created.append(key)
    if created:
        session.flush()
        log_event(session, ctx, req, "notifications_created", {"recipients": created})
    return sorted(existing | set(created))


def mark_done(session: Session, ctx: Ctx, request_id: int, recipient: str, note: str | None = None) -> None:
    """The DPO has told a recipient (Art. 19)."""
    req = load(session, request_id, for_update=True)
    task = repository.task(session, req.id, recipient)
    if task is None:
        keys = [t.recipient for t in repository.tasks(session, req.id)]
        raise NotFoundError(f"request {req.id} has no notification task for {recipient!r}"
                            + (f"; its tasks: {', '.join(keys)}" if keys else "; it has none"))
    if task.done_at is not None:
        raise ConflictError(f"{recipient} was already marked notified at {task.done_at:%Y-%m-%d %H:%M} UTC")
    task.done_at, task.done_by, task.note = ctx.now, ctx.actor, note
    log_event(session, ctx, req, "recipient_notified", {"recipient": recipient, "note": note})
