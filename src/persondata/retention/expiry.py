"""When a row expires: pure functions, the single source of truth that the SQL mirrors.

A row is kept while ANY of its purposes still holds it, so its expiry is the latest of its
purposes' expiries (None: some purpose holds it indefinitely). A purpose's expiry is its
retention rule applied to the anchor's value (`RetentionRule.expires_at`), brought forward:
- to the moment consent was withdrawn, for a consent-based purpose (or `until consent withdrawn`);
- to the moment the subject opted out (at once for a flag column), for every purpose of a table
  that declares `opt_out_flag`: declaring it is the company's statement that an opt-out ends
  the processing there (logging, directory listings), whatever the purposes' bases.
Every instant is compared in UTC: naive datetimes are taken as UTC, a date as its midnight UTC.

`windows(rule, as_of, kind)` inverts a rule: the anchor values that have expired at `as_of`,
as a few ranges that turn into index-friendly SQL (`anchor <= X`), so that the database does
the selecting; a test checks the two against each other on generated rows.
"""

from __future__ import annotations

import calendar as _cal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from persondata.calendar import add_months, add_period
from persondata.policy.model import Basis
from persondata.policy.retention import RetentionRule

AT_ONCE = datetime(1970, 1, 1, tzinfo=UTC)
"""The expiry of rows whose opt-out flag is set: long gone."""

ColumnKind = Literal["date", "datetime"]


def instant(value: date | datetime) -> datetime:
    """A date or datetime as an aware UTC datetime (naive = UTC, date = midnight UTC)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


@dataclass(frozen=True)
class Term:
    """One purpose of a table: its key, basis and parsed rule (None: no retention rule)."""

    purpose: str
    basis: Basis
    rule: RetentionRule | None

    @property
    def consent(self) -> bool:
        """True when withdrawing consent ends this purpose."""
        return self.basis is Basis.consent or (self.rule is not None and self.rule.until_consent_withdrawn)

    @property
    def anchor(self) -> str | None:
        """The anchor the rule needs from the row, if any."""
        if self.rule is None or self.rule.until_consent_withdrawn:
            return None
        return self.rule.anchor


def purpose_expiry(term: Term, anchor_value: date | datetime | None,
                   withdrawn_at: datetime | None = None,
                   opted_out_at: datetime | None = None) -> datetime | None:
    """The instant a purpose stops holding a row; None while it holds it indefinitely."""
    candidates: list[datetime] = []
    if term.rule is not None and term.anchor is not None and anchor_value is not None:
        candidates.append(instant(term.rule.expires_at(instant(anchor_value))
                                  if isinstance(anchor_value, datetime)
                                  else term.rule.expires_at(anchor_value)))
    if term.consent and withdrawn_at is not None:
        candidates.append(instant(withdrawn_at))
    if opted_out_at is not None:
        candidates.append(instant(opted_out_at))
    return min(candidates) if candidates else None


def row_expiry(terms: Sequence[Term], anchors: Mapping[str, Any],
               withdrawn: Mapping[str, datetime] | None = None,
               opted_out_at: datetime | None = None) -> datetime | None:
    """The latest of the purposes' expiries: when no purpose holds the row any more (None: never)."""
    if not terms:
        return None
    withdrawn = withdrawn or {}
    latest: datetime | None = None
    for term in terms:
        value = anchors.get(term.anchor) if term.anchor is not None else None
        expiry = purpose_expiry(term, value, withdrawn.get(term.purpose), opted_out_at)
        if expiry is None:
            return None
        latest = expiry if latest is None or expiry > latest else latest
    return latest


def is_expired(expiry: datetime | None, as_of: datetime) -> bool:
    """True when the expiry instant has come at as_of."""
    return expiry is not None and expiry <= instant(as_of)


@dataclass(frozen=True)
class Window:
    """A range of anchor values: `lo <= value` (when lo is set) and `value <= hi` / `value < hi`."""

    hi: date | datetime
    hi_inclusive: bool = True
    lo: date | datetime | None = None


def _last_day(year: int, month: int) -> int:
    return _cal.monthrange(year, month)[1]


def _latest_day(target: date, months: int) -> date:
    """The latest day d with add_months(d, months) <= target."""
    back = add_months(target, -months)
    if target.day == _last_day(target.year, target.month):
        return back.replace(day=_last_day(back.year, back.month))
    return back


def windows(rule: RetentionRule, as_of: datetime, kind: ColumnKind) -> list[Window]:
    """The anchor values (UTC) whose rule has expired at as_of, as ranges; [] when none can be."""
    t = instant(as_of)
    if rule.until_consent_withdrawn:
        return []
    if rule.kind == "until":
        return [Window(t.date())] if kind == "date" else [Window(t)]
    assert rule.n is not None and rule.unit is not None
    if rule.kind == "after_end_of_year":
        year = t.year + 1
        while instant(add_period(date(year + 1, 1, 1), rule.n, rule.unit)) > t:
            year -= 1
        start = date(year + 1, 1, 1)
        return [Window(start if kind == "date" else instant(start), hi_inclusive=False)]
    if rule.unit in ("days", "weeks"):
        delta = timedelta(days=rule.n) if rule.unit == "days" else timedelta(weeks=rule.n)
        return [Window(t.date() - delta)] if kind == "date" else [Window(t - delta)]
    months = rule.n * (12 if rule.unit == "years" else 1)
    d2 = _latest_day(t.date(), months)
    if kind == "date":
        return [Window(d2)]
    d1 = _latest_day(t.date() - timedelta(days=1), months)
    out = [Window(instant(d1 + timedelta(days=1)), hi_inclusive=False)]
    day = d1 + timedelta(days=1)
    while day <= d2:  # these days all land on as_of's date: expired up to as_of's time of day
        out.append(Window(datetime.combine(day, t.timetz()), lo=instant(day)))
        day += timedelta(days=1)
    return out


def in_windows(value: date | datetime, wins: Sequence[Window], kind: ColumnKind) -> bool:
    """Evaluate windows in Python (the SQL does the same in the database)."""
    if kind == "date":
        d = value.date() if isinstance(value, datetime) else value
        return any((w.lo is None or d >= _as_date(w.lo))
                   and (d <= _as_date(w.hi) if w.hi_inclusive else d < _as_date(w.hi)) for w in wins)
    v = instant(value)
    return any((w.lo is None or v >= instant(w.lo))
               and (v <= instant(w.hi) if w.hi_inclusive else v < instant(w.hi)) for w in wins)


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def midnight(d: date) -> datetime:
    """Midnight UTC at the start of a day."""
    return datetime.combine(d, time(0), tzinfo=UTC)
