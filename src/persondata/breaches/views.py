"""Read views of cases: deadlines worked out at `now`, times shown in the controller's zone."""

from __future__ import annotations

from datetime import datetime

from persondata.breaches.deadlines import ATTENTION, CaseFacts, Deadline, case_deadlines, next_due
from persondata.breaches.models import BreachCase
from persondata.breaches.schemas import (
    CaseSummary,
    CaseView,
    DeadlineView,
    Discovery,
    EventView,
    Risk,
    Status,
)
from persondata.breaches.times import controller_zone, show
from persondata.policy.model import BreachSettings


def deadlines_of(case: BreachCase, settings: BreachSettings) -> list[Deadline]:
    """The deadlines of a case under the policy's reporter promises."""
    facts = CaseFacts(
        country=case.country, aware_at=case.aware_at, risk=case.risk, discovery=case.discovery,
        reported_at=case.reported_at, reporter_contact=case.reporter_contact,
        authority_notified_at=case.authority_notified_at,
        subjects_notified_at=case.subjects_notified_at, subjects_exemption=case.subjects_exemption,
        receipt_sent_at=case.receipt_sent_at, feedback_sent_at=case.feedback_sent_at,
    )
    return case_deadlines(facts, settings.reporter_receipt, settings.reporter_feedback)


def deadline_view(deadline: Deadline, country: str, now: datetime) -> DeadlineView:
    """A deadline for display and JSON."""
    zone = controller_zone(country)
    left = deadline.remaining(now) if deadline.required and deadline.done_at is None else None
    if deadline.due is None:
        due_local = "now" if deadline.required and deadline.done_at is None else "-"
    elif deadline.due_date is not None:
        due_local = f"{deadline.due_date.isoformat()} (end of day)"
    else:
        due_local = show(deadline.due, zone)
    return DeadlineView(
        kind=deadline.kind, rule=deadline.rule, required=deadline.required, state=deadline.state(now),
        due=deadline.due, due_local=due_local, due_date=deadline.due_date, done_at=deadline.done_at,
        remaining_hours=None if left is None else round(left.total_seconds() / 3600, 2),
        note=deadline.note,
    )


def flags_of(deadlines: list[Deadline], now: datetime, closed: bool) -> list[str]:
    """Flags for the list: `overdue: authority`, `due <24h: reporter_receipt`, `due now: subjects`."""
    if closed:
        return []
    words = {"overdue": "overdue", "due_soon": "due <24h", "due_now": "due now"}
    return [f"{words[d.state(now)]}: {d.kind}" for d in deadlines if d.state(now) in ATTENTION]


def summary(case: BreachCase, settings: BreachSettings, now: datetime) -> CaseSummary:
    """A case as a line of the list."""
    deadlines = deadlines_of(case, settings)
    closed = case.status == Status.closed.value
    nxt = None if closed else next_due(deadlines, now)
    return CaseSummary(
        ref=case.ref, title=case.title, status=Status(case.status),
        risk=Risk(case.risk) if case.risk else None, discovery=Discovery(case.discovery),
        aware_at=case.aware_at, aware_local=show(case.aware_at, controller_zone(case.country)),
        next_deadline=None if nxt is None else deadline_view(nxt, case.country, now),
        flags=flags_of(deadlines, now, closed),
    )


def full(case: BreachCase, settings: BreachSettings, now: datetime) -> CaseView:
    """A whole case with every deadline and its timeline."""
    zone = controller_zone(case.country)
    head = summary(case, settings, now)
    return CaseView(
        **head.model_dump(),
        country=case.country, timezone=zone.key, occurred_at=case.occurred_at,
        reported_at=case.reported_at, reporter_name=case.reporter_name,
        reporter_contact=case.reporter_contact, description=case.description,
        systems=list(case.systems), tables=list(case.tables), categories=list(case.categories),
        subjects_count=case.subjects_count, records_count=case.records_count,
        consequences=case.consequences, measures_taken=case.measures_taken,
        measures_proposed=case.measures_proposed, authority_notified_at=case.authority_notified_at,
        authority_reference=case.authority_reference, delay_reason=case.delay_reason,
        subjects_notified_at=case.subjects_notified_at, subjects_exemption=case.subjects_exemption,
        receipt_sent_at=case.receipt_sent_at, feedback_sent_at=case.feedback_sent_at,
        closed_at=case.closed_at, closing_note=case.closing_note,
        deadlines=[deadline_view(d, case.country, now) for d in deadlines_of(case, settings)],
        timeline=[EventView(at=e.at, at_local=show(e.at, zone), actor=e.actor, action=e.action,
                            changes=dict(e.changes), note=e.note) for e in case.events],
    )
