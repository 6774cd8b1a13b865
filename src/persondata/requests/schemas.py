"""Request types, states, channels, the allowed transitions, and the JSON view of a request."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from persondata.errors import InputError
from persondata.requests.models import SubjectRequest


class RequestType(StrEnum):
    """What the subject asks for (Art. 15-22, Art. 7(3))."""

    access = "access"
    portability = "portability"
    erasure = "erasure"
    rectification = "rectification"
    restriction = "restriction"
    objection = "objection"
    consent_withdrawal = "consent_withdrawal"


class State(StrEnum):
    """Where a request stands."""

    received = "received"
    awaiting_verification = "awaiting_verification"
    verified = "verified"
    in_progress = "in_progress"
    completed = "completed"
    rejected = "rejected"


class Channel(StrEnum):
    """How the request arrived."""

    web = "web"
    email = "email"
    letter = "letter"
    phone = "phone"


TRANSITIONS: dict[State, frozenset[State]] = {
    State.received: frozenset({State.awaiting_verification, State.verified, State.rejected}),
    State.awaiting_verification: frozenset({State.verified, State.rejected}),
    State.verified: frozenset({State.in_progress, State.rejected}),
    State.in_progress: frozenset({State.completed}),
    State.completed: frozenset(),
    State.rejected: frozenset(),
}
TERMINAL = frozenset({State.completed, State.rejected})
ART19_TYPES = frozenset({RequestType.erasure, RequestType.rectification, RequestType.restriction})
DUE_SOON_DAYS = 7


def parse_choice(enum: type[StrEnum], value: str, what: str) -> str:
    """Validate a value against an enum, naming the allowed values when it is not one."""
    text = value.strip().lower().replace("-", "_")
    allowed = [m.value for m in enum]
    if text not in allowed:
        raise InputError(f"unknown {what} {value!r}; use one of {', '.join(allowed)}")
    return text


def deadline_flag(state: str, due_on: date, today: date) -> str | None:
    """'overdue' or 'due_soon' (within 7 days) for an open request; None otherwise."""
    if state in TERMINAL:
        return None
    if today > due_on:
        return "overdue"
    if (due_on - today).days <= DUE_SOON_DAYS:
        return "due_soon"
    return None


def request_view(req: SubjectRequest, today: date) -> dict[str, Any]:
    """A request as plain data for --json and the API (identities included: it is the DPO's view)."""
    return {
        "id": req.id,
        "type": req.type,
        "state": req.state,
        "channel": req.channel,
        "language": req.language,
        "identities": [f"{i['kind']}={i['value']}" for i in req.identities],
        "contact_email": req.contact_email,
        "details": req.details,
        "received_at": req.received_at.isoformat(),
        "due_on": req.due_on.isoformat(),
        "original_due_on": req.original_due_on.isoformat(),
        "days_left": (req.due_on - today).days,
        "flag": deadline_flag(req.state, req.due_on, today),
        "extended": req.extended,
        "extension_months": req.extension_months,
        "extension_reason": req.extension_reason,
        "verification": req.verification,
        "verified_at": req.verified_at.isoformat() if req.verified_at else None,
        "verified_by": req.verified_by,
        "verification_note": req.verification_note,
        "rejection_reason": req.rejection_reason,
        "completed_at": req.completed_at.isoformat() if req.completed_at else None,
        "closed_at": req.closed_at.isoformat() if req.closed_at else None,
        "result": req.result,
        "export_path": req.export_path,
    }
