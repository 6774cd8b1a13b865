"""Calendar arithmetic for legal deadlines: months, business days, public holidays (DK, NO).

Weekends and public holidays come from the `holidays` package; a business day is any
Monday-Friday that is not a public holiday of the controller's country.
"""

from __future__ import annotations

import calendar as _cal
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TypeVar

import holidays

from persondata.errors import InputError

UNITS = ("days", "weeks", "months", "years")
T = TypeVar("T", date, datetime)
ZONES = {
    "DK": "Europe/Copenhagen", "NO": "Europe/Oslo", "SE": "Europe/Stockholm", "FI": "Europe/Helsinki",
    "IS": "Atlantic/Reykjavik", "DE": "Europe/Berlin", "NL": "Europe/Amsterdam", "GB": "Europe/London",
    "IE": "Europe/Dublin", "FR": "Europe/Paris", "PL": "Europe/Warsaw", "EE": "Europe/Tallinn",
}
"""The IANA time zone of each controller country persondata knows, for local deadlines."""


@lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> frozenset[date]:
    try:
        return frozenset(holidays.country_holidays(country, years=year).keys())
    except NotImplementedError as exc:
        raise InputError(f"no public holiday calendar for country {country!r}") from exc


def add_months(d: T, months: int) -> T:
    """Add calendar months; a day the target month lacks becomes its last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(month_index, 12)
    month += 1
    day = min(d.day, _cal.monthrange(year, month)[1])
    return d.replace(year=year, month=month, day=day)


def add_period(d: T, n: int, unit: str) -> T:
    """Add n days, weeks, months or years to a date or datetime."""
    unit = unit.rstrip("s") + "s"
    if unit == "days":
        return d + timedelta(days=n)
    if unit == "weeks":
        return d + timedelta(weeks=n)
    if unit == "months":
        return add_months(d, n)
    if unit == "years":
        return add_months(d, 12 * n)
    raise InputError(f"unknown time unit {unit!r}; use one of {', '.join(UNITS)}")


def is_holiday(d: date, country: str) -> bool:
    """True on a public holiday of the country."""
    return d in _holidays(country, d.year)


def is_business_day(d: date, country: str) -> bool:
    """True on Monday-Friday that is not a public holiday of the country."""
    return d.weekday() < 5 and not is_holiday(d, country)


def next_business_day(d: date, country: str) -> date:
    """The day itself when it is a business day, else the next one."""
    while not is_business_day(d, country):
        d += timedelta(days=1)
    return d


def add_business_days(d: date, n: int, country: str) -> date:
    """The n-th business day after d (d itself does not count)."""
    if n < 0:
        raise InputError("business days to add must not be negative")
    while n > 0:
        d += timedelta(days=1)
        if is_business_day(d, country):
            n -= 1
    return d


def one_month_deadline(received: date, country: str, counting: str = "business_day") -> date:
    """Art. 12(3) deadline: one month after receipt, moved to the next working day unless strict."""
    return add_months_deadline(received, 1, country, counting)


def add_months_deadline(start: date, months: int, country: str, counting: str = "business_day") -> date:
    """A deadline some months after start; with business_day counting it never ends on a non-working day."""
    due = add_months(start, months)
    return due if counting == "strict" else next_business_day(due, country)


def parse_duration(text: str) -> tuple[int, str]:
    """Parse '2 business days', '2 weeks', '72 hours' into (n, unit)."""
    parts = text.strip().lower().split()
    if len(parts) == 3 and parts[1] == "business" and parts[2] in ("day", "days"):
        parts = [parts[0], "business_days"]
    if len(parts) != 2 or not parts[0].isdigit():
        raise InputError(f"{text!r} is not a duration like '2 business days' or '2 weeks'")
    n, unit = int(parts[0]), parts[1]
    if unit in ("day", "week", "month", "year", "hour"):
        unit += "s"
    if unit not in (*UNITS, "hours", "business_days"):
        raise InputError(f"{text!r}: unit must be hours, days, business days, weeks, months or years")
    return n, unit
