"""Breach deadlines as pure functions of the case's facts and an injected `now`.

- Authority (Art. 33(1)): 72 hours after awareness. Hours are real elapsed hours, computed
  in UTC, so a window across a daylight-saving change is still 72 hours; periods in hours are
  never moved for weekends or holidays (Regulation 1182/71 Art. 3(4)).
- Reporter receipt and feedback (the policy's promise, `policy.breaches`): counted in the
  controller's country. Business days skip weekends and public holidays; a period in days,
  weeks or months that ends on a non-business day ends on the next business day
  (Regulation 1182/71 Art. 3(4)). A day-counted deadline lasts until the end of its last day
  in the controller's local time.
- Subjects (Art. 34(1)): "without undue delay" when the risk is high; no fixed hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from persondata.breaches.times import controller_zone, end_of_day
from persondata.calendar import add_business_days, add_period, next_business_day, parse_duration
from persondata.errors import InputError

AUTHORITY_HOURS = 72
DUE_SOON = timedelta(hours=24)
AUTHORITY_RULE = f"{AUTHORITY_HOURS} hours"
UNDUE_DELAY = "without undue delay"

Kind = Literal["authority", "subjects", "reporter_receipt", "reporter_feedback"]
State = Literal["not_required", "met", "late", "overdue", "due_soon", "due_now", "pending"]
ATTENTION: frozenset[str] = frozenset({"overdue", "due_soon", "due_now"})


def authority_deadline(aware_at: datetime) -> datetime:
    """The Art. 33(1) deadline: exactly 72 real hours after awareness (UTC arithmetic)."""
    return _utc(aware_at, "awareness time") + timedelta(hours=AUTHORITY_HOURS)


def late_by(aware_at: datetime, notified_at: datetime) -> timedelta | None:
    """How long after the 72-hour deadline a notification came, or None when in time."""
    over = _utc(notified_at, "notification time") - authority_deadline(aware_at)
    return over if over > timedelta(0) else None


def due_after(start: datetime, rule: str, country: str) -> tuple[datetime, date | None]:
    """When a period like '2 business days' or '2 weeks' from `start` ends, in the country.

    Returns (the instant it is over, in UTC; the last day in local time, or None for hours).
    """
    n, unit = parse_duration(rule)
    start = _utc(start, "start time")
    if unit == "hours":
        return start + timedelta(hours=n), None
    zone = controller_zone(country)
    first = start.astimezone(zone).date()
    if unit == "business_days":
        last = add_business_days(first, n, country)
    else:
        last = next_business_day(add_period(first, n, unit), country)
    return end_of_day(last, zone), last


@dataclass(frozen=True)
class Deadline:
    """One deadline of a case: what, by when, under which rule, and whether it is done."""

    kind: Kind
    rule: str
    required: bool
    due: datetime | None = None  # the instant it is over (UTC); None: without undue delay
    due_date: date | None = None  # the last day, for day-counted deadlines
    done_at: datetime | None = None
    note: str = ""

    def state(self, now: datetime) -> State:
        """Where the deadline stands at `now`."""
        if self.done_at is not None:
            return "late" if self.due is not None and self.done_at > self.due else "met"
        if not self.required:
            return "not_required"
        if self.due is None:
            return "due_now"
        now = _utc(now, "now")
        if now >= self.due:
            return "overdue"
        if self.due - now <= DUE_SOON:
            return "due_soon"
        return "pending"

    def remaining(self, now: datetime) -> timedelta | None:
        """Time left until the deadline (negative when overdue), or None without a fixed time."""
        return None if self.due is None else self.due - _utc(now, "now")


@dataclass(frozen=True)
class CaseFacts:
    """The facts of a case the deadlines depend on."""

    country: str
    aware_at: datetime
    risk: str | None = None  # None (not yet assessed), unlikely, risk, high_risk
    discovery: str = "internal"
    reported_at: datetime | None = None
    reporter_contact: str | None = None
    authority_notified_at: datetime | None = None
    subjects_notified_at: datetime | None = None
    subjects_exemption: str | None = None  # Art. 34(3) reason the subjects are not told
    receipt_sent_at: datetime | None = None
    feedback_sent_at: datetime | None = None


def case_deadlines(facts: CaseFacts, receipt_rule: str = "2 business days",
                   feedback_rule: str = "2 weeks") -> list[Deadline]:
    """Every deadline of a case, in the order they fall due."""
    deadlines = [
        Deadline(
            kind="authority", rule=AUTHORITY_RULE, due=authority_deadline(facts.aware_at),
            required=facts.risk != "unlikely", done_at=facts.authority_notified_at,
            note="risk unlikely: documented only (Art. 33(5))" if facts.risk == "unlikely" else "",
        )
    ]
    high = facts.risk == "high_risk"
    exempt = high and bool(facts.subjects_exemption)
    deadlines.append(Deadline(
        kind="subjects", rule=UNDUE_DELAY, required=high and not exempt,
        done_at=facts.subjects_notified_at,
        note=("Art. 34(3) exemption recorded" if exempt
              else "" if high else "only at high risk (Art. 34(1))"),
    ))
    if facts.discovery == "external_reporter":
        start = facts.reported_at or facts.aware_at
        can_answer = bool(facts.reporter_contact)
        note = "" if can_answer else "anonymous reporter without contact details"
        reporter: list[tuple[Kind, str, datetime | None]] = [
            ("reporter_receipt", receipt_rule, facts.receipt_sent_at),
            ("reporter_feedback", feedback_rule, facts.feedback_sent_at),
        ]
        for kind, rule, done in reporter:
            due, last = due_after(start, rule, facts.country)
            deadlines.append(Deadline(kind=kind, rule=rule, due=due, due_date=last,
                                      required=can_answer, done_at=done, note=note))
    return deadlines


def next_due(deadlines: list[Deadline], now: datetime) -> Deadline | None:
    """The open deadline that needs attention first (undue-delay ones count as due now)."""
    rank = {"overdue": 0, "due_now": 1, "due_soon": 2, "pending": 2}
    open_ = [d for d in deadlines if d.state(now) in rank]
    if not open_:
        return None
    return min(open_, key=lambda d: (rank[d.state(now)], d.due or now))


def _utc(value: datetime, what: str) -> datetime:
    if value.tzinfo is None:
        raise InputError(f"{what} {value.isoformat()} has no time zone; persondata needs aware times")
    return value
