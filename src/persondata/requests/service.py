"""The request workflow: intake, verification, extension, rejection, closing.

Every change goes through `_move` or `log_event`: the transition is checked against TRANSITIONS
(a refused one raises ConflictError naming the state), written to the request's timeline and
appended to the tamper-evident audit log in the caller's transaction. Services never commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from persondata.audit import service as audit
from persondata.errors import ConflictError, InputError, NotFoundError, RateLimited
from persondata.identity import BUILTIN_KINDS, Hasher, Identity, make_identity, parse_identity
from persondata.policy.model import Policy
from persondata.requests import repository
from persondata.requests.deadlines import (
    check_extension,
    extended_deadline,
    first_deadline,
    local_date,
)
from persondata.requests.letters import queue_mail
from persondata.requests.models import RequestEvent, SubjectRequest, VerificationCode
from persondata.requests.schemas import TERMINAL, TRANSITIONS, Channel, RequestType, State, parse_choice
from persondata.requests.verification import (
    CODE_TTL,
    CODES_WINDOW,
    MAX_ATTEMPTS,
    MAX_CODES,
    VerifyOutcome,
    code_matches,
    hash_code,
    new_code,
)

LANGS = ("da", "nb", "en")


@dataclass(frozen=True)
class Ctx:
    """What every workflow step needs: the policy, keys, who acts, and when."""

    policy: Policy
    hasher: Hasher
    secret_key: str
    actor: str
    now: datetime

    @property
    def country(self) -> str:
        """The controller's country."""
        return self.policy.controller.country

    @property
    def counting(self) -> str:
        """business_day or strict deadline counting (policy.rights.deadline_counting)."""
        return self.policy.rights.deadline_counting


@dataclass
class NewRequest:
    """A request as it arrives."""

    type: str
    identities: list[str]
    channel: str = "email"
    language: str | None = None
    received_at: datetime | None = None
    contact_email: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    send_code: bool = False  # e-mail a verification code at once (when the policy verifies by code)


def log_event(session: Session, ctx: Ctx, req: SubjectRequest, action: str,
              details: dict[str, Any] | None = None, from_state: str | None = None) -> None:
    """Write a timeline entry and its audit entry (the request's state is already set)."""
    details = dict(details or {})
    session.add(RequestEvent(request_id=req.id, at=ctx.now, actor=ctx.actor, action=action,
                             from_state=from_state, to_state=req.state if from_state else None,
                             details=details))
    audit.record(session, actor=ctx.actor, action=f"request.{action}", subject=req.subject_hash,
                 target=f"request:{req.id}", details={"type": req.type, "state": req.state, **details},
                 at=ctx.now)


def move(session: Session, ctx: Ctx, req: SubjectRequest, to: State, action: str,
         details: dict[str, Any] | None = None) -> None:
    """Change a request's state, refusing what TRANSITIONS does not allow; logged and audited."""
    current = State(req.state)
    if to not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "nothing (it is finished)"
        raise ConflictError(f"request {req.id} is {current.value}; it cannot become {to.value} "
                            f"(from {current.value} it can become: {allowed})")
    req.state = to.value
    req.updated_at = ctx.now
    log_event(session, ctx, req, action, details, from_state=current.value)


def load(session: Session, request_id: int, *, for_update: bool = False) -> SubjectRequest:
    """A request by id, or NotFoundError. With for_update, the audit chain lock is taken first."""
    if for_update:
        audit.lock(session)  # always before row locks: writers queue on the chain, never deadlock
    req = repository.get(session, request_id, for_update=for_update)
    if req is None:
        raise NotFoundError(f"no request {request_id}")
    return req


def _identities(ctx: Ctx, raw: list[str]) -> list[Identity]:
    if not raw:
        raise InputError("a request needs at least one identity, e.g. --identity email=jane@example.dk")
    known = (*BUILTIN_KINDS, *ctx.policy.identities.keys())
    seen: dict[Identity, None] = {}
    for arg in raw:
        seen[parse_identity(arg, ctx.country, known)] = None
    return list(seen)


def _language(ctx: Ctx, lang: str | None) -> str:
    if lang is None:
        for candidate in ctx.policy.controller.languages:
            code = "nb" if candidate in ("no", "nn") else candidate
            if code in LANGS:
                return code
        return "en"
    code = "nb" if lang.lower() in ("no", "nn") else lang.lower()
    if code not in LANGS:
        raise InputError(f"unknown language {lang!r}; letters exist in {', '.join(LANGS)}")
    return code


def _check_details(ctx: Ctx, rtype: str, details: dict[str, Any]) -> None:
    if rtype == RequestType.rectification and not details.get("set"):
        raise InputError("a rectification needs what to correct: --set FIELD=VALUE (e.g. "
                         "--set user.contact.email=new@example.dk)")
    if rtype == RequestType.objection:
        purpose = details.get("purpose")
        if not purpose:
            raise InputError("an objection names the purpose objected to: --purpose KEY")
        if purpose not in ctx.policy.purposes:
            raise InputError(f"unknown purpose {purpose!r}; the policy has: {', '.join(ctx.policy.purposes)}")
    if rtype == RequestType.consent_withdrawal:
        unknown = [p for p in details.get("purposes", []) if p not in ctx.policy.consent_purposes()]
        if unknown:
            raise InputError(f"not consent purposes of the policy: {', '.join(unknown)}; consent purposes: "
                             f"{', '.join(ctx.policy.consent_purposes()) or 'none'}")


def required_verification(policy: Policy, request_type: str, contact_email: str | None) -> str:
    """none, email_code or manual: the policy's choice per type, else a code when there is an e-mail."""
    chosen = policy.rights.verification.get(request_type)
    if chosen is not None:
        return chosen.value
    return "email_code" if contact_email else "manual"


def open_request(session: Session, ctx: Ctx, new: NewRequest) -> SubjectRequest:
    """Record a new request, compute its deadline, and queue the receipt confirmation."""
    rtype = parse_choice(RequestType, new.type, "request type")
    channel = parse_choice(Channel, new.channel, "channel")
    identities = _identities(ctx, new.identities)
    _check_details(ctx, rtype, new.details)
    received = new.received_at or ctx.now
    if received.tzinfo is None:
        raise InputError("the received time needs a timezone")
    if received > ctx.now:
        raise InputError(f"received time {received.isoformat()} is in the future")
    contact = new.contact_email
    if contact:
        contact = make_identity("email", contact, ctx.country).value
    else:
        contact = next((i.value for i in identities if i.kind == "email"), None)
    method = required_verification(ctx.policy, rtype, contact)
    if method == "email_code" and not contact:
        raise InputError(f"the policy verifies {rtype} requests by e-mail code, but this request has no "
                         "e-mail address: give --contact EMAIL or an email identity")
    due = first_deadline(received, ctx.country, ctx.counting)
    req = SubjectRequest(
        type=rtype, state=State.received.value, channel=channel, language=_language(ctx, new.language),
        identities=[{"kind": i.kind, "value": i.value} for i in identities],
        subject_hash=ctx.hasher.hash(sorted(identities)[0]), contact_email=contact, details=dict(new.details),
        received_at=received, due_on=due, original_due_on=due, extended=False, extension_months=0,
        verification=method, created_by=ctx.actor, created_at=ctx.now, updated_at=ctx.now,
    )
    audit.lock(session)
    repository.add(session, req)
    log_event(session, ctx, req, "opened", {"channel": channel, "received_at": received.isoformat(),
                                       "due_on": due.isoformat(), "verification": method})
    if method == "none":
        req.verified_at, req.verified_by = ctx.now, ctx.actor
        req.verification_note = "the policy requires no verification for this type"
        move(session, ctx, req, State.verified, "verified", {"method": "none"})
    will_send = method == "email_code" and new.send_code
    queue_mail(session, ctx.policy, req, "receipt", key=f"request:{req.id}:receipt", now=ctx.now,
               extra={"needs_code": will_send})
    if will_send:
        send_code(session, ctx, req.id)
    return req


def send_code(session: Session, ctx: Ctx, request_id: int) -> str:
    """Create a new one-time code (invalidating the old), queue it by e-mail; returns the code."""
    req = load(session, request_id, for_update=True)
    if req.state not in (State.received, State.awaiting_verification):
        raise ConflictError(f"request {req.id} is {req.state}; codes are sent only before verification")
    if not req.contact_email:
        raise ConflictError(f"request {req.id} has no e-mail address; verify it manually "
                            "(persondata requests verify ID --manual --note ...)")
    if req.verification == "manual":
        raise ConflictError(f"the policy requires a manual identity check for {req.type} requests; "
                            "record it with: persondata requests verify ID --manual --note ...")
    sent = repository.codes_sent_since(session, req.id, ctx.now - CODES_WINDOW)
    if len(sent) >= MAX_CODES:
        again = sent[-MAX_CODES] + CODES_WINDOW
        raise RateLimited(f"request {req.id}: {len(sent)} codes were sent in the last 24 hours; the next can "
                          f"be sent after {again:%Y-%m-%d %H:%M} UTC, or verify the identity manually "
                          f"(persondata requests verify {req.id} --manual --note ...)")
    dropped = repository.invalidate_codes(session, req.id, ctx.now)
    code = new_code()
    row = VerificationCode(request_id=req.id, code_hash=hash_code(code, req.id), sent_to=req.contact_email,
                           created_at=ctx.now, expires_at=ctx.now + CODE_TTL, attempts=0)
    repository.add(session, row)
    if req.state == State.received:
        move(session, ctx, req, State.awaiting_verification, "code_sent",
             {"code_id": row.id, "invalidated": dropped})
    else:
        log_event(session, ctx, req, "code_sent", {"code_id": row.id, "invalidated": dropped})
    queue_mail(session, ctx.policy, req, "code", key=f"request:{req.id}:code:{row.id}", now=ctx.now,
               extra={"minutes": int(CODE_TTL.total_seconds() // 60),
                      "expires_at": row.expires_at.isoformat()},
               secret={"code": code}, secret_key=ctx.secret_key)
    return code


def verify_code(session: Session, ctx: Ctx, request_id: int, code: str) -> VerifyOutcome:
    """Check a code. Failures are recorded (commit them!) and returned, not raised."""
    req = load(session, request_id, for_update=True)
    if req.state != State.awaiting_verification:
        raise ConflictError(f"request {req.id} is {req.state}; there is no code to check")
    row = repository.active_code(session, req.id)
    if row is None:
        outcome = VerifyOutcome(False, "no valid code: it was used, replaced or blocked; send a new one")
    elif ctx.now >= row.expires_at:
        row.invalidated_at = ctx.now
        outcome = VerifyOutcome(False, f"the code expired at {row.expires_at:%H:%M} UTC; send a new one")
    else:
        row.attempts += 1
        if code_matches(row.code_hash, code, req.id):
            row.used_at = ctx.now
            req.verified_at, req.verified_by = ctx.now, ctx.actor
            move(session, ctx, req, State.verified, "verified", {"method": "email_code", "code_id": row.id})
            return VerifyOutcome(True, "verified")
        left = MAX_ATTEMPTS - row.attempts
        if left <= 0:
            row.invalidated_at = ctx.now
            outcome = VerifyOutcome(False, f"wrong code; {MAX_ATTEMPTS} wrong attempts: the code is blocked, "
                                           "send a new one")
        else:
            outcome = VerifyOutcome(False, f"wrong code; {left} attempt{'s' if left != 1 else ''} left", left)
    log_event(session, ctx, req, "verification_failed", {"reason": outcome.reason})
    return outcome


def verify_manual(session: Session, ctx: Ctx, request_id: int, note: str) -> SubjectRequest:
    """The DPO records that the identity was checked another way (ID shown, call-back...)."""
    if not note.strip():
        raise InputError("a manual verification needs a note saying how the identity was checked")
    req = load(session, request_id, for_update=True)
    repository.invalidate_codes(session, req.id, ctx.now)
    req.verified_at, req.verified_by, req.verification_note = ctx.now, ctx.actor, note.strip()
    move(session, ctx, req, State.verified, "verified", {"method": "manual", "note": note.strip()})
    return req


def extend(session: Session, ctx: Ctx, request_id: int, months: int, reason: str,
           notified: str | None = None) -> SubjectRequest:
    """Extend the deadline (Art. 12(3)) before the first one passes, and tell the subject."""
    req = load(session, request_id, for_update=True)
    if req.state in TERMINAL:
        raise ConflictError(f"request {req.id} is {req.state}; there is no deadline left to extend")
    check_extension(already=req.extension_months, months=months, reason=reason,
                    original_due=req.original_due_on, now=ctx.now, country=ctx.country)
    if not req.contact_email and not (notified or "").strip():
        raise InputError(f"request {req.id} has no e-mail address: tell the subject by letter or phone "
                         "first and say how with --notified (persondata requests letter ID extension)")
    previous = req.due_on
    req.extension_months += months
    req.extended, req.extended_at, req.extension_reason = True, ctx.now, reason.strip()
    req.due_on = extended_deadline(req.received_at, req.extension_months, ctx.country, ctx.counting)
    req.updated_at = ctx.now
    log_event(session, ctx, req, "extended", {"months": months, "reason": reason.strip(),
                                         "from": previous.isoformat(), "to": req.due_on.isoformat(),
                                         "notified": notified or "e-mail"})
    key = f"request:{req.id}:extension:{req.extension_months}"
    queue_mail(session, ctx.policy, req, "extension", key=key, now=ctx.now)
    return req


def reject(session: Session, ctx: Ctx, request_id: int, reason: str) -> SubjectRequest:
    """Refuse a request with a reason; the letter names the right to complain to the authority."""
    if not reason.strip():
        raise InputError("a rejection needs a reason (Art. 12(4)); it is sent to the subject")
    req = load(session, request_id, for_update=True)
    req.rejection_reason, req.rejected_at = reason.strip(), ctx.now
    move(session, ctx, req, State.rejected, "rejected", {"reason": reason.strip()})
    repository.invalidate_codes(session, req.id, ctx.now)
    queue_mail(session, ctx.policy, req, "rejection", key=f"request:{req.id}:rejection", now=ctx.now)
    return req


def close(session: Session, ctx: Ctx, request_id: int, note: str | None = None) -> SubjectRequest:
    """Close a finished request once every Art. 19 recipient has been told."""
    req = load(session, request_id, for_update=True)
    if req.state not in TERMINAL:
        raise ConflictError(f"request {req.id} is {req.state}; only a completed or rejected request "
                            "can be closed")
    if req.closed_at is not None:
        raise ConflictError(f"request {req.id} was closed at {req.closed_at:%Y-%m-%d %H:%M} UTC")
    open_tasks = [t.recipient for t in repository.tasks(session, req.id) if t.done_at is None]
    if open_tasks:
        raise ConflictError(f"request {req.id} has recipients still to notify (Art. 19): "
                            f"{', '.join(open_tasks)}; mark each with `persondata requests notify-done`")
    req.closed_at, req.closed_by, req.updated_at = ctx.now, ctx.actor, ctx.now
    log_event(session, ctx, req, "closed", {"note": note} if note else {})
    return req


def record_read(session: Session, ctx: Ctx, req: SubjectRequest | None, what: str,
                details: dict[str, Any] | None = None) -> None:
    """Audit that the DPO looked at requests (they show identities: personal data)."""
    audit.record(session, actor=ctx.actor, action=f"requests.{what}",
                 subject=req.subject_hash if req else None, target=f"request:{req.id}" if req else None,
                 details=details or {}, at=ctx.now)


def today(ctx: Ctx) -> Any:
    """The controller's date now."""
    return local_date(ctx.now, ctx.country)
