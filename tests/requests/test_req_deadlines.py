"""Art. 12(3) deadlines: month ends, leap years, Danish and Norwegian holidays, DST, strict counting."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from persondata.errors import ConflictError, InputError
from persondata.requests.deadlines import (
    check_extension,
    extended_deadline,
    first_deadline,
    local_date,
    parse_received,
)
from persondata.requests.schemas import deadline_flag


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(("received", "country", "due"), [
    # The example: Sunday 28 Feb 2027 -> 28 Mar is Easter Sunday, 29 Easter Monday -> Tue 30 Mar.
    (utc(2027, 2, 28, 12), "DK", date(2027, 3, 30)),
    # Norway keeps Easter Monday too.
    (utc(2027, 2, 28, 12), "NO", date(2027, 3, 30)),
    # 31 January -> no 31 February: the last day, 28 Feb 2026 is a Saturday -> Monday 2 March.
    (utc(2026, 1, 31, 12), "DK", date(2026, 3, 2)),
    # Leap year: 31 Jan 2028 -> 29 Feb 2028 (Tuesday).
    (utc(2028, 1, 31, 12), "DK", date(2028, 2, 29)),
    # 29 Feb 2028 -> 29 Mar 2028 (Wednesday).
    (utc(2028, 2, 29, 12), "DK", date(2028, 3, 29)),
    # 31 March -> 30 April 2027 (Friday).
    (utc(2027, 3, 31, 12), "DK", date(2027, 4, 30)),
    # 1 May (Labour Day) is a public holiday in Norway, not in Denmark: 1 May 2028 is a Monday.
    (utc(2028, 4, 1, 12), "NO", date(2028, 5, 2)),
    (utc(2028, 4, 1, 12), "DK", date(2028, 5, 1)),
    # Norwegian Constitution Day, Wednesday 17 May 2028, is not a Danish holiday.
    (utc(2028, 4, 17, 12), "NO", date(2028, 5, 18)),
    (utc(2028, 4, 17, 12), "DK", date(2028, 5, 17)),
    # Whit Monday 5 June 2028 is a holiday in both.
    (utc(2028, 5, 5, 12), "DK", date(2028, 6, 6)),
    (utc(2028, 5, 5, 12), "NO", date(2028, 6, 6)),
    # Christmas: 25 Nov 2027 -> 25 Dec (Saturday), 26 Sunday, 27 Monday is a working day in both.
    (utc(2027, 11, 25, 12), "DK", date(2027, 12, 27)),
    # New year: 1 Dec 2026 -> 1 Jan 2027 (holiday, Friday) -> Monday 4 January.
    (utc(2026, 12, 1, 12), "NO", date(2027, 1, 4)),
])
def test_one_month_deadline(received: datetime, country: str, due: date) -> None:
    assert first_deadline(received, country) == due


def test_strict_counting_keeps_the_date() -> None:
    assert first_deadline(utc(2027, 2, 28, 12), "DK", "strict") == date(2027, 3, 28)


@pytest.mark.parametrize(("received", "local"), [
    # Winter (UTC+1): 23:30 UTC on 28 Feb is already 1 March in Copenhagen.
    (utc(2027, 2, 28, 23, 30), date(2027, 3, 1)),
    # Summer (UTC+2): 22:30 UTC on 30 June is 1 July in Copenhagen.
    (utc(2027, 6, 30, 22, 30), date(2027, 7, 1)),
    # 21:30 UTC on 30 June is still 30 June (23:30 local).
    (utc(2027, 6, 30, 21, 30), date(2027, 6, 30)),
    # The night DST starts (28 March 2027, 01:00 UTC): 00:30 UTC is 01:30 CET, 01:30 UTC is 03:30 CEST.
    (utc(2027, 3, 28, 0, 30), date(2027, 3, 28)),
    (utc(2027, 3, 27, 23, 30), date(2027, 3, 28)),
    # The night DST ends (31 October 2027, 01:00 UTC): 22:30 UTC on the 30th is 00:30 CEST on the 31st.
    (utc(2027, 10, 30, 22, 30), date(2027, 10, 31)),
    (utc(2027, 10, 30, 21, 30), date(2027, 10, 30)),
])
def test_deadline_counts_from_the_controller_local_date(received: datetime, local: date) -> None:
    assert local_date(received, "DK") == local
    assert local_date(received, "NO") == local  # Oslo keeps the same offsets


def test_dst_changes_the_day_the_deadline_counts_from() -> None:
    # 30 June 22:30 UTC = 1 July local -> 1 August 2027 is a Sunday -> Monday 2 August.
    assert first_deadline(utc(2027, 6, 30, 22, 30), "DK") == date(2027, 8, 2)
    # One hour earlier it is still 30 June -> 30 July 2027 (Friday).
    assert first_deadline(utc(2027, 6, 30, 21, 30), "DK") == date(2027, 7, 30)


def test_extended_deadline_is_three_months_from_receipt() -> None:
    received = utc(2027, 2, 28, 12)
    assert extended_deadline(received, 2, "DK") == date(2027, 5, 28)  # Friday
    assert extended_deadline(received, 1, "DK") == date(2027, 4, 28)
    # 30 Nov 2027 + 3 months = 29 Feb 2028 (leap day, a Tuesday).
    assert extended_deadline(utc(2027, 11, 30, 12), 2, "DK") == date(2028, 2, 29)


def test_extension_rules() -> None:
    due = date(2027, 3, 30)
    ok = dict(already=0, months=2, reason="six systems", original_due=due, country="DK")
    check_extension(**ok, now=utc(2027, 3, 30, 20))  # 22:00 local on the due day: still in time
    with pytest.raises(ConflictError, match="too late"):
        check_extension(**ok, now=utc(2027, 3, 30, 22, 30))  # 00:30 local on the 31st
    with pytest.raises(InputError, match="needs a reason"):
        check_extension(**{**ok, "reason": "  "}, now=utc(2027, 3, 1))
    with pytest.raises(ConflictError, match="at most 2"):
        check_extension(**{**ok, "already": 1}, now=utc(2027, 3, 1))
    check_extension(**{**ok, "already": 1, "months": 1}, now=utc(2027, 3, 1))


def test_deadline_flags() -> None:
    due = date(2027, 3, 30)
    assert deadline_flag("verified", due, date(2027, 3, 31)) == "overdue"
    assert deadline_flag("verified", due, date(2027, 3, 30)) == "due_soon"
    assert deadline_flag("verified", due, date(2027, 3, 23)) == "due_soon"
    assert deadline_flag("verified", due, date(2027, 3, 22)) is None
    assert deadline_flag("completed", due, date(2027, 4, 30)) is None


def test_parse_received() -> None:
    now = utc(2027, 3, 1, 12)
    assert parse_received("2027-02-28", "DK", now) == utc(2027, 2, 27, 23)  # local midnight, CET
    assert parse_received("2027-02-28T14:30", "DK", now) == utc(2027, 2, 28, 13, 30)
    assert parse_received("2027-02-28T14:30+00:00", "DK", now) == utc(2027, 2, 28, 14, 30)
    with pytest.raises(InputError, match="future"):
        parse_received("2027-03-05", "DK", now)
    with pytest.raises(InputError, match="not a date"):
        parse_received("yesterday", "DK", now)
