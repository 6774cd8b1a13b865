"""The breach register's rules: open, update and close cases, each change in the timeline and audited.

Services never commit; the boundary (CLI command, request, job) does.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from persondata.audit import service as audit
from persondata.breaches import repository
from persondata.breaches.deadlines import AUTHORITY_HOURS, authority_deadline, late_by
from persondata.breaches.models import BreachCase
from persondata.breaches.schemas import CaseCreate, CaseUpdate, Discovery, Risk, Status
from persondata.breaches.times import controller_zone, show, span
from persondata.errors import ConflictError, InputError, NotFoundError
from persondata.policy.model import Policy

REPORTER_ONLY = ("reported_at", "reporter_name", "reporter_contact", "receipt_sent_at", "feedback_sent_at")
REF_RE = re.compile(r"^(?:br-?)?0*(\d+)$", re.IGNORECASE)


class CaseClosedError(ConflictError):
    """A closed case cannot change."""


class LateNotificationError(ConflictError):
    """A notification after the 72 hours without the reasons for the delay (Art. 33(1))."""


def normalise_ref(ref: str) -> str:
    """Accept BR-0001, br-1 or 1 and return the canonical BR-0001."""
    m = REF_RE.match(ref.strip())
    if not m:
        raise InputError(f"{ref!r} is not a breach case reference like BR-0001")
    return repository.format_ref(int(m.group(1)))


def get_case(session: Session, ref: str, *, for_update: bool = False) -> BreachCase:
    """A case by reference, or NotFoundError."""
    canonical = normalise_ref(ref)
    case = repository.get_by_ref(session, canonical, for_update=for_update)
    if case is None:
        raise NotFoundError(f"no breach case {canonical}")
    return case


def read_case(session: Session, ref: str, *, actor: str) -> BreachCase:
    """A case for display; reading a reporter's contact details is audited."""
    case = get_case(session, ref)
    if case.reporter_contact or case.reporter_name:
        audit.record(session, actor=actor, action="breach.read", target=f"breach:{case.ref}",
                     details={"fields": ["reporter_name", "reporter_contact"]})
    return case


def list_cases(session: Session, *, include_closed: bool = False) -> list[BreachCase]:
    """Open cases (or all), newest awareness first."""
    return list(repository.list_cases(session, include_closed=include_closed))


def open_case(session: Session, policy: Policy, data: CaseCreate, *, actor: str,
              now: datetime) -> BreachCase:
    """Register a new breach case (every breach is documented, Art. 33(5))."""
    audit.lock(session)
    _check_time("awareness time", data.aware_at, now)
    if data.occurred_at is not None:
        _check_time("occurrence time", data.occurred_at, now)
        if data.occurred_at > data.aware_at:
            raise InputError("occurrence time is after the awareness time; the breach happened first")
    if data.discovery is not Discovery.external_reporter:
        given = [f for f in REPORTER_ONLY if getattr(data, f, None) is not None]
        if given:
            raise InputError(f"{', '.join(given)}: only for cases reported by an external reporter "
                             "(--discovery external_reporter)")
    if data.reported_at is not None:
        _check_time("report time", data.reported_at, now)
    tables = check_tables(policy, data.tables)
    systems = list(dict.fromkeys([*data.systems, *(t.split(".", 1)[0] for t in tables)]))
    case = BreachCase(
        country=policy.controller.country, status=Status.open.value, created_at=now, updated_at=now,
        aware_at=data.aware_at, occurred_at=data.occurred_at, discovery=data.discovery.value,
        reported_at=data.reported_at, reporter_name=data.reporter_name,
        reporter_contact=data.reporter_contact, title=data.title, description=data.description,
        systems=systems, tables=tables, categories=list(dict.fromkeys(data.categories)),
        subjects_count=data.subjects_count, records_count=data.records_count,
        consequences=data.consequences, measures_taken=data.measures_taken,
        measures_proposed=data.measures_proposed, risk=data.risk.value if data.risk else None,
    )
    repository.add_case(session, case)
    opened = {"aware_at": data.aware_at.isoformat(), "discovery": case.discovery, "risk": case.risk,
              "authority_due": authority_deadline(data.aware_at).isoformat()}
    repository.add_event(session, case, at=now, actor=actor, action="opened", changes=opened)
    audit.record(session, actor=actor, action="breach.open", target=f"breach:{case.ref}", at=now,
                 details={k: v for k, v in opened.items() if k != "aware_at"})
    return case


def update_case(session: Session, policy: Policy, ref: str, update: CaseUpdate, *, actor: str,
                now: datetime) -> BreachCase:
    """Record new facts on a case; a late authority notification needs the reason for the delay."""
    audit.lock(session)
    case = get_case(session, ref, for_update=True)
    if case.status == Status.closed.value:
        raise CaseClosedError(f"breach case {case.ref} is closed; it can no longer change")
    wanted = update.changes()
    if not wanted and not update.note:
        raise InputError("nothing to update: give at least one field to change or a --note")
    _check_update(case, policy, wanted, now)
    changes: dict[str, list[Any]] = {}
    for name, value in wanted.items():
        stored = value.value if isinstance(value, Risk) else value
        old = getattr(case, name)
        if name in ("tables", "categories", "systems"):
            stored = list(dict.fromkeys(stored))
        if old != stored:
            changes[name] = [_plain(old), _plain(stored)]
            setattr(case, name, stored)
    if "tables" in changes:
        case.systems = list(dict.fromkeys([*case.systems, *(t.split(".", 1)[0] for t in case.tables)]))
    if case.authority_notified_at is not None and case.status == Status.open.value:
        changes["status"] = [case.status, Status.notified.value]
        case.status = Status.notified.value
    if not changes and not update.note:
        raise InputError(f"nothing changed: breach case {case.ref} already has these values")
    case.updated_at = now
    repository.add_event(session, case, at=now, actor=actor, action="updated", changes=changes,
                         note=update.note)
    audit.record(session, actor=actor, action="breach.update", target=f"breach:{case.ref}", at=now,
                 details={"fields": sorted(changes), "note": bool(update.note)})
    return case


def close_case(session: Session, ref: str, *, note: str | None, actor: str, now: datetime) -> BreachCase:
    """Close a case once its duties are done: assessed, notified where required, reporter answered."""
    audit.lock(session)
    case = get_case(session, ref, for_update=True)
    if case.status == Status.closed.value:
        raise CaseClosedError(f"breach case {case.ref} is already closed")
    missing = closing_problems(case)
    if missing:
        raise ConflictError(f"breach case {case.ref} cannot be closed yet:\n  - " + "\n  - ".join(missing))
    changes = {"status": [case.status, Status.closed.value]}
    case.status = Status.closed.value
    case.closed_at = now
    case.closing_note = note
    case.updated_at = now
    repository.add_event(session, case, at=now, actor=actor, action="closed", changes=changes, note=note)
    audit.record(session, actor=actor, action="breach.close", target=f"breach:{case.ref}", at=now)
    return case


def closing_problems(case: BreachCase) -> list[str]:
    """What still has to happen before a case may be closed (empty when it may)."""
    problems = []
    if case.risk is None:
        problems.append("the risk is not assessed: update --risk unlikely|risk|high_risk")
    elif case.risk != Risk.unlikely.value and case.authority_notified_at is None:
        problems.append("the authority has not been notified (Art. 33(1)): "
                        "update --authority-notified TIME, or assess the risk as unlikely")
    if (case.risk == Risk.high_risk.value and case.subjects_notified_at is None
            and not case.subjects_exemption):
        problems.append("high risk: the people affected have not been told (Art. 34(1)): "
                        "update --subjects-notified TIME or --subjects-exemption REASON (Art. 34(3))")
    if not case.measures_taken:
        problems.append("no measures taken are recorded (Art. 33(5)): update --measures-taken TEXT")
    if case.discovery == Discovery.external_reporter.value and case.reporter_contact:
        if case.receipt_sent_at is None:
            problems.append("the reporter has had no receipt: update --receipt-sent TIME")
        if case.feedback_sent_at is None:
            problems.append("the reporter has had no feedback: update --feedback-sent TIME")
    return problems


def check_tables(policy: Policy, tables: list[str]) -> list[str]:
    """Check that each `system.table` is in the policy's data map."""
    unknown = []
    for item in tables:
        system, _, table = item.partition(".")
        sys_ = policy.systems.get(system)
        if sys_ is None or table not in sys_.tables:
            unknown.append(item)
    if unknown:
        known = [f"{s}.{t}" for s, sys_ in policy.systems.items() for t in sys_.tables]
        raise InputError(f"not in the policy's data map: {', '.join(unknown)}; "
                         f"known tables: {', '.join(known) or 'none'}")
    return list(dict.fromkeys(tables))


def _check_update(case: BreachCase, policy: Policy, wanted: dict[str, Any], now: datetime) -> None:
    if case.discovery != Discovery.external_reporter.value:
        given = [f for f in REPORTER_ONLY if f in wanted]
        if given:
            raise InputError(f"{', '.join(given)}: breach case {case.ref} was not reported by an "
                             "external reporter")
    for name in ("authority_notified_at", "subjects_notified_at", "receipt_sent_at", "feedback_sent_at",
                 "occurred_at"):
        if name in wanted:
            _check_time(name.replace("_", " "), wanted[name], now)
            if name != "occurred_at" and wanted[name] < case.aware_at:
                raise InputError(f"{name.replace('_', ' ')} {wanted[name].isoformat()} is before "
                                 f"the awareness time {case.aware_at.isoformat()}")
    if "occurred_at" in wanted and wanted["occurred_at"] > case.aware_at:
        raise InputError("occurrence time is after the awareness time; the breach happened first")
    if "tables" in wanted:
        check_tables(policy, wanted["tables"])
    if "delay_reason" in wanted and not wanted["delay_reason"]:
        raise InputError("the reason for the delay must not be empty")
    notified = wanted.get("authority_notified_at", case.authority_notified_at)
    if notified is not None:
        late = late_by(case.aware_at, notified)
        reason = wanted.get("delay_reason") or case.delay_reason
        if late is not None and not reason:
            zone = controller_zone(case.country)
            raise LateNotificationError(
                f"breach case {case.ref}: the authority notification at {show(notified, zone)} is "
                f"{span(late)} after the {AUTHORITY_HOURS}-hour deadline "
                f"{show(authority_deadline(case.aware_at), zone)}; Art. 33(1) requires the reasons "
                "for the delay: give --delay-reason TEXT"
            )


def _check_time(what: str, value: datetime, now: datetime) -> None:
    if value.tzinfo is None:
        raise InputError(f"{what} {value.isoformat()} has no time zone")
    if value > now:
        raise InputError(f"{what} {value.isoformat()} is in the future (now is {now.isoformat()})")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value
