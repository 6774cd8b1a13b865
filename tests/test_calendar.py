"""Deadline arithmetic: month ends, leap years, Danish and Norwegian holidays."""

from __future__ import annotations

from datetime import date

import pytest

from persondata.calendar import (
    add_business_days,
    add_months,
    is_business_day,
    one_month_deadline,
    parse_duration,
)
from persondata.errors import InputError


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 3, 31), 1, date(2024, 4, 30)),
        (date(2024, 12, 15), 1, date(2025, 1, 15)),
        (date(2024, 5, 31), -3, date(2024, 2, 29)),
    ],
)
def test_add_months_keeps_day_or_takes_month_end(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_one_month_deadline_moves_past_easter_in_denmark() -> None:
    # Sunday 2027-02-28 -> 28 March (Easter Sunday) -> 29 (Easter Monday) -> Tuesday 30 March.
    assert one_month_deadline(date(2027, 2, 28), "DK") == date(2027, 3, 30)
    assert one_month_deadline(date(2027, 2, 28), "DK", "strict") == date(2027, 3, 28)


def test_norwegian_constitution_day_is_not_a_business_day() -> None:
    assert not is_business_day(date(2028, 5, 17), "NO")
    assert is_business_day(date(2028, 5, 17), "DK")


def test_business_days_skip_danish_easter() -> None:
    assert add_business_days(date(2027, 3, 24), 2, "DK") == date(2027, 3, 31)
    assert add_business_days(date(2026, 12, 24), 1, "DK") == date(2026, 12, 28)


def test_parse_duration() -> None:
    assert parse_duration("2 business days") == (2, "business_days")
    assert parse_duration("2 weeks") == (2, "weeks")
    assert parse_duration("72 hours") == (72, "hours")
    with pytest.raises(InputError):
        parse_duration("soon")
