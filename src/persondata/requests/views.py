"""Read-only views of requests for the CLI, the API and the admin console."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from persondata.mail import repository as mail_repository
from persondata.requests import repository
from persondata.requests.deadlines import controller_zone
from persondata.requests.models import SubjectRequest
from persondata.requests.schemas import TERMINAL, request_view


def _local(req: SubjectRequest, country: str) -> str:
    return req.received_at.astimezone(controller_zone(country)).strftime("%Y-%m-%d %H:%M %Z")


def listing(session: Session, today: date, *, include_closed: bool = False,
            states: list[str] | None = None, country: str = "DK") -> list[dict[str, Any]]:
    """Requests by deadline; by default every request not yet closed."""
    rows = repository.listing(session, states=states)
    return [{**request_view(r, today), "received_local": _local(r, country)}
            for r in rows if include_closed or states or r.closed_at is None]


def full(session: Session, req: SubjectRequest, today: date, country: str = "DK") -> dict[str, Any]:
    """One request with its timeline, codes, attempts, steps, Art. 19 tasks and letters."""
    view = request_view(req, today)
    view["received_local"] = _local(req, country)
    view["timeline"] = [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action,
                         "from": e.from_state, "to": e.to_state, "details": e.details}
                        for e in repository.events(session, req.id)]
    code = repository.latest_code(session, req.id)
    view["code"] = None if code is None else {
        "sent_to": code.sent_to, "created_at": code.created_at.isoformat(),
        "expires_at": code.expires_at.isoformat(), "attempts": code.attempts,
        "status": "used" if code.used_at else "invalid" if code.invalidated_at else "open"}
    view["runs"] = [{"attempt": r.attempt, "status": r.status, "worker": f"{r.host}:{r.pid}",
                     "started_at": r.started_at.isoformat(),
                     "finished_at": r.finished_at.isoformat() if r.finished_at else None, "error": r.error}
                    for r in repository.runs(session, req.id)]
    view["steps"] = [{"step": s.system, "attempt": s.attempt, "done_at": s.done_at.isoformat(),
                      "counts": s.result.get("counts", {})} for s in repository.steps(session, req.id)]
    view["notifications"] = [{"recipient": t.recipient, "name": t.name, "role": t.role,
                              "country": t.country,
                              "done_at": t.done_at.isoformat() if t.done_at else None,
                              "done_by": t.done_by, "note": t.note}
                             for t in repository.tasks(session, req.id)]
    view["mail"] = [{"id": m.id, "kind": m.kind, "to": m.to_addr, "language": m.language,
                     "status": m.status, "attempts": m.attempts,
                     "sent_at": m.sent_at.isoformat() if m.sent_at else None, "error": m.last_error}
                    for m in mail_repository.for_request(session, req.id)]
    view["finished"] = req.state in TERMINAL
    return view
