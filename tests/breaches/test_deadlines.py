"""Breach deadlines: 72 real hours to the authority, reporter promises in business days of DK/NO."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from persondata.breaches.deadlines import (
    CaseFacts,
    authority_deadline,
    case_deadlines,
    due_after,
    late_by,
    next_due,
)
from persondata.breaches.times import controller_zone, local_to_utc, parse_time, show
from persondata.errors import InputError

CPH = ZoneInfo("Europe/Copenhagen")
OSL = ZoneInfo("Europe/Oslo")


def at(text: str, zone: ZoneInfo = CPH) -> datetime:
    """A local wall-clock time as an aware UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=zone).astimezone(UTC)


def by_kind(facts: CaseFacts, **rules: str) -> dict[str, object]:
    return {d.kind: d for d in case_deadlines(facts, **rules)}


def test_the_issue_example_danish_external_reporter_over_easter() -> None:
    aware = at("2027-03-24T10:00")  # Wednesday before Easter
    facts = CaseFacts(country="DK", aware_at=aware, discovery="external_reporter",
                      reporter_contact="finder@example.org")
    deadlines = {d.kind: d for d in case_deadlines(facts)}
    assert deadlines["authority"].due == at("2027-03-27T10:00")  # Saturday: hours do not move
    assert show(deadlines["authority"].due, CPH) == "2027-03-27 10:00 +01:00"
    # Maundy Thursday, Good Friday, the weekend and Easter Monday are not business days.
    assert deadlines["reporter_receipt"].due_date == date(2027, 3, 31)
    assert deadlines["reporter_receipt"].due == at("2027-04-01T00:00")  # until the end of that day
    assert deadlines["reporter_feedback"].due_date == date(2027, 4, 7)
    assert [d.kind for d in case_deadlines(facts)] == [
        "authority", "subjects", "reporter_receipt", "reporter_feedback"]


def test_authority_deadline_is_not_moved_for_weekends_or_holidays() -> None:
    # Wednesday 16:00 before Christmas: due on the Second Day of Christmas, a Saturday
    aware = at("2026-12-23T16:00")
    assert authority_deadline(aware) == at("2026-12-26T16:00")  # Second Day of Christmas
    assert authority_deadline(aware) - aware == timedelta(hours=72)


@pytest.mark.parametrize(
    ("aware_local", "due_local", "due_shown"),
    [
        # Last Sunday of March 2027 (28th): clocks 02:00 -> 03:00; 72 real hours end an hour later
        ("2027-03-27T10:00", "2027-03-30T11:00", "2027-03-30 11:00 +02:00"),
        # Last Sunday of October 2027 (31st): clocks 03:00 -> 02:00; 72 real hours end an hour earlier
        ("2027-10-29T10:00", "2027-11-01T09:00", "2027-11-01 09:00 +01:00"),
    ],
)
def test_72_hours_across_daylight_saving_changes_are_real_hours(
    aware_local: str, due_local: str, due_shown: str
) -> None:
    aware = at(aware_local)
    due = authority_deadline(aware)
    assert (due - aware).total_seconds() == 72 * 3600
    assert due == at(due_local)
    assert show(due, CPH) == due_shown


def test_late_by_counts_real_time_after_the_deadline() -> None:
    aware = at("2027-03-24T10:00")
    assert late_by(aware, at("2027-03-27T10:00")) is None  # exactly at the deadline: in time
    assert late_by(aware, at("2027-03-27T09:59")) is None
    # 12:30 on Monday is 2 days 2.5 hours later on the wall clock, but the clocks went forward
    # on Sunday: 2 days 1.5 real hours.
    assert late_by(aware, at("2027-03-29T12:30")) == timedelta(days=2, hours=1, minutes=30)


@pytest.mark.parametrize(
    ("country", "reported", "receipt", "feedback"),
    [
        # Norwegian Easter 2026: Thursday 2 April to Monday 6 April are holidays
        ("NO", "2026-04-01T09:00", date(2026, 4, 8), date(2026, 4, 15)),
        ("DK", "2026-04-01T09:00", date(2026, 4, 8), date(2026, 4, 15)),
        # 1 May is a holiday in Norway but not in Denmark
        # ... and the 2 weeks end on Ascension Day (14 May), so on Friday 15 May
        ("NO", "2026-04-30T09:00", date(2026, 5, 5), date(2026, 5, 15)),
        ("DK", "2026-04-30T09:00", date(2026, 5, 4), date(2026, 5, 15)),
        # Christmas: 24 December is a business day, 25-26 December are holidays
        ("DK", "2026-12-23T15:00", date(2026, 12, 28), date(2027, 1, 6)),
        # A report on Saturday: the two business days are Monday and Tuesday
        ("DK", "2027-01-09T11:00", date(2027, 1, 12), date(2027, 1, 25)),
    ],
)
def test_reporter_deadlines_in_business_days_of_the_country(
    country: str, reported: str, receipt: date, feedback: date
) -> None:
    zone = controller_zone(country)
    start = at(reported, zone)
    assert due_after(start, "2 business days", country)[1] == receipt
    assert due_after(start, "2 weeks", country)[1] == feedback


def test_a_period_in_weeks_ending_on_a_holiday_ends_on_the_next_business_day() -> None:
    # Friday 11 December 2026 + 2 weeks = Christmas Day; 26th is a holiday, 27th Sunday -> Monday 28th
    due, last = due_after(at("2026-12-11T10:00"), "2 weeks", "DK")
    assert last == date(2026, 12, 28)
    assert due == at("2026-12-29T00:00")
    # Norway: 3 May 2027 + 2 weeks = 17 May (Constitution Day and Whit Monday) -> 18 May
    assert due_after(at("2027-05-03T10:00", OSL), "2 weeks", "NO")[1] == date(2027, 5, 18)
    assert due_after(at("2027-05-03T10:00"), "2 weeks", "DK")[1] == date(2027, 5, 18)  # Whit Monday in DK


def test_business_days_count_from_the_local_date_not_the_utc_date() -> None:
    # 00:30 on Thursday in Copenhagen is still Wednesday in UTC
    start = at("2027-01-07T00:30")
    assert start.date() == date(2027, 1, 6)
    assert due_after(start, "2 business days", "DK")[1] == date(2027, 1, 11)


def test_hours_in_the_policy_are_hours() -> None:
    due, last = due_after(at("2027-03-27T10:00"), "48 hours", "DK")
    assert last is None
    assert due == at("2027-03-27T10:00") + timedelta(hours=48)


def test_policy_rules_are_used_and_bad_rules_are_refused() -> None:
    facts = CaseFacts(country="DK", aware_at=at("2027-03-24T10:00"), discovery="external_reporter",
                      reporter_contact="x@example.org")
    found = {d.kind: d for d in case_deadlines(facts, receipt_rule="1 business day",
                                               feedback_rule="10 days")}
    assert found["reporter_receipt"].due_date == date(2027, 3, 30)
    assert found["reporter_feedback"].due_date == date(2027, 4, 5)  # 3 April is a Saturday
    with pytest.raises(InputError, match="duration"):
        case_deadlines(facts, receipt_rule="soon")


def test_states_overdue_due_soon_met_late_and_not_required() -> None:
    aware = at("2027-03-24T10:00")
    facts = CaseFacts(country="DK", aware_at=aware, risk="high_risk")
    authority = case_deadlines(facts)[0]
    assert authority.state(aware + timedelta(hours=47)) == "pending"
    assert authority.state(aware + timedelta(hours=48)) == "due_soon"
    assert authority.state(aware + timedelta(hours=72)) == "overdue"
    subjects = case_deadlines(facts)[1]
    assert subjects.due is None and subjects.state(aware) == "due_now"
    done = case_deadlines(CaseFacts(country="DK", aware_at=aware, risk="risk",
                                    authority_notified_at=aware + timedelta(hours=80)))
    assert done[0].state(aware) == "late"
    assert done[1].state(aware) == "not_required"
    unlikely = case_deadlines(CaseFacts(country="DK", aware_at=aware, risk="unlikely"))
    assert unlikely[0].state(aware + timedelta(hours=100)) == "not_required"
    exempt = case_deadlines(CaseFacts(country="DK", aware_at=aware, risk="high_risk",
                                      subjects_exemption="data encrypted (Art. 34(3)(a))"))
    assert exempt[1].state(aware) == "not_required"


def test_anonymous_reporter_without_contact_cannot_be_answered() -> None:
    facts = CaseFacts(country="DK", aware_at=at("2027-03-24T10:00"), discovery="external_reporter")
    receipt = {d.kind: d for d in case_deadlines(facts)}["reporter_receipt"]
    assert not receipt.required
    assert receipt.state(at("2027-05-01T10:00")) == "not_required"
    assert "anonymous" in receipt.note


def test_next_due_puts_overdue_first() -> None:
    aware = at("2027-03-24T10:00")
    facts = CaseFacts(country="DK", aware_at=aware, risk="high_risk", discovery="external_reporter",
                      reporter_contact="x@example.org")
    deadlines = case_deadlines(facts)
    assert next_due(deadlines, aware + timedelta(hours=1)).kind == "subjects"  # type: ignore[union-attr]
    assert next_due(deadlines, aware + timedelta(hours=73)).kind == "authority"  # type: ignore[union-attr]


def test_parse_time_local_offset_and_dst_edges() -> None:
    assert parse_time("2027-03-24 10:00", CPH) == datetime(2027, 3, 24, 9, 0, tzinfo=UTC)
    assert parse_time("2027-03-24T10:00", OSL) == datetime(2027, 3, 24, 9, 0, tzinfo=UTC)
    assert parse_time("2027-07-01T10:00", CPH) == datetime(2027, 7, 1, 8, 0, tzinfo=UTC)
    assert parse_time("2027-03-24T10:00+00:00", CPH) == datetime(2027, 3, 24, 10, 0, tzinfo=UTC)
    assert parse_time("2027-03-24T10:00Z", CPH) == datetime(2027, 3, 24, 10, 0, tzinfo=UTC)
    with pytest.raises(InputError, match="does not exist"):
        parse_time("2027-03-28 02:30", CPH)
    with pytest.raises(InputError, match="happens twice"):
        parse_time("2027-10-31 02:30", CPH)
    assert parse_time("2027-10-31T02:30+02:00", CPH) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    with pytest.raises(InputError, match="no time of day"):
        parse_time("2027-03-24", CPH)
    with pytest.raises(InputError, match="--aware: 'yesterday' is not a time"):
        parse_time("yesterday", CPH, "--aware")
    assert local_to_utc(datetime(2027, 1, 1, 0, 0), OSL) == datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
    with pytest.raises(InputError, match="no time zone known"):
        controller_zone("US")


def test_reporter_deadlines_run_from_the_report_not_the_awareness() -> None:
    # The report arrived on Friday; the controller was aware (sure of a breach) on Tuesday.
    facts = CaseFacts(country="DK", aware_at=at("2027-01-12T10:00"), discovery="external_reporter",
                      reporter_contact="x@example.org", reported_at=at("2027-01-08T16:00"))
    found = {d.kind: d for d in case_deadlines(facts)}
    assert found["reporter_receipt"].due_date == date(2027, 1, 12)  # Monday, Tuesday
    assert found["reporter_feedback"].due_date == date(2027, 1, 22)
    assert found["authority"].due == at("2027-01-15T10:00")
