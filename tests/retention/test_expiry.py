"""Expiry as pure functions: each seed phrase, month ends, leap days, end of year, two purposes,
consent withdrawn, opt-out; and the SQL windows agree with the functions on generated anchors."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from persondata.policy.model import Basis
from persondata.policy.retention import parse_retention
from persondata.retention.expiry import (
    AT_ONCE,
    Term,
    in_windows,
    is_expired,
    purpose_expiry,
    row_expiry,
    windows,
)


def dt(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def term(rule: str, basis: Basis = Basis.contract, purpose: str = "p") -> Term:
    return Term(purpose, basis, parse_retention(rule))


SEED_PHRASES = [
    # (rule, anchor, first instant expired)
    ("2 years after last_contact", dt(2023, 6, 15, 10), dt(2025, 6, 15, 10)),       # agency contact form
    ("5 years after relationship_end", dt(2020, 1, 31, 8), dt(2025, 1, 31, 8)),     # agency customers
    ("6 months after application_rejected", dt(2024, 8, 31, 12), dt(2025, 2, 28, 12)),  # applicants
    ("3 months after account_terminated", dt(2024, 11, 30, 9), dt(2025, 2, 28, 9)),  # SMS accounts
    ("3 days after received_at", dt(2025, 2, 27, 23, 30), dt(2025, 3, 2, 23, 30)),   # SMS by e-mail
    ("3 months after sent_at", dt(2024, 12, 31, 18), dt(2025, 3, 31, 18)),           # SMS logs
    ("5 years after end of year of invoice_date", dt(2019, 12, 31, 23), dt(2025, 1, 1)),  # invoices
]


@pytest.mark.parametrize(("rule", "anchor", "expires"), SEED_PHRASES, ids=[p[0] for p in SEED_PHRASES])
def test_each_seed_phrase(rule: str, anchor: datetime, expires: datetime) -> None:
    t = term(rule)
    assert purpose_expiry(t, anchor) == expires
    assert not is_expired(row_expiry([t], {t.anchor: anchor}), expires - timedelta(seconds=1))
    assert is_expired(row_expiry([t], {t.anchor: anchor}), expires)


def test_month_ends_and_leap_days() -> None:
    one = term("1 months after a")
    assert purpose_expiry(one, date(2024, 1, 31)) == dt(2024, 2, 29)  # leap year
    assert purpose_expiry(one, date(2025, 1, 31)) == dt(2025, 2, 28)
    yr = term("1 years after a")
    assert purpose_expiry(yr, date(2024, 2, 29)) == dt(2025, 2, 28)
    four = term("4 years after a")
    assert purpose_expiry(four, date(2024, 2, 29)) == dt(2028, 2, 29)


def test_end_of_financial_year() -> None:
    books = term("5 years after end of year of invoice_date", Basis.legal_obligation)
    # An invoice of 2 January and one of 31 December of 2019 both go on 1 January 2025.
    for anchor in (date(2019, 1, 2), date(2019, 12, 31), dt(2019, 12, 31, 23, 59, 59)):
        assert purpose_expiry(books, anchor) == dt(2025, 1, 1)
    assert purpose_expiry(books, date(2020, 1, 1)) == dt(2026, 1, 1)


def test_two_purposes_one_still_holds() -> None:
    marketing = term("2 years after last_purchase", purpose="marketing")
    books = term("5 years after end of year of invoice_date", Basis.legal_obligation, "books")
    anchors = {"last_purchase": dt(2020, 3, 1), "invoice_date": date(2020, 3, 1)}
    expiry = row_expiry([marketing, books], anchors)
    assert expiry == dt(2026, 1, 1)  # the later of the two
    assert not is_expired(expiry, dt(2023, 1, 1))  # marketing has ended, bookkeeping still holds
    assert is_expired(expiry, dt(2026, 1, 1))
    # A purpose without a value for its anchor (relationship still running) holds indefinitely.
    assert row_expiry([marketing, books], {"last_purchase": dt(2020, 3, 1), "invoice_date": None}) is None
    assert row_expiry([], {}) is None


def test_consent_withdrawn_ends_consent_purposes_only() -> None:
    news = Term("newsletter", Basis.consent, parse_retention("until consent withdrawn"))
    sales = term("3 years after last_purchase", purpose="sales")
    assert row_expiry([news], {}) is None  # no withdrawal: consent holds
    assert row_expiry([news], {}, {"newsletter": dt(2025, 4, 2, 9)}) == dt(2025, 4, 2, 9)
    # A consent purpose with a time rule ends at whichever comes first.
    timed = Term("campaign", Basis.consent, parse_retention("3 months after campaign_end"))
    assert purpose_expiry(timed, dt(2025, 1, 10), withdrawn_at=dt(2025, 2, 1)) == dt(2025, 2, 1)
    assert purpose_expiry(timed, dt(2025, 1, 10), withdrawn_at=dt(2025, 6, 1)) == dt(2025, 4, 10)
    # Withdrawal does not end a contract purpose that shares the row.
    both = row_expiry([news, sales], {"last_purchase": dt(2024, 1, 1)}, {"newsletter": dt(2025, 1, 1)})
    assert both == dt(2027, 1, 1)


def test_opt_out_ends_every_purpose_of_a_declaring_table_at_once() -> None:
    log = term("3 months after sent_at", purpose="sms_log")
    assert row_expiry([log], {"sent_at": dt(2025, 5, 1)}, opted_out_at=AT_ONCE) == AT_ONCE
    listing = term("until relationship_end", Basis.legal_obligation, "directory")
    assert row_expiry([log, listing], {"sent_at": dt(2025, 5, 1), "relationship_end": None},
                      opted_out_at=dt(2025, 5, 2)) == dt(2025, 5, 2)
    assert row_expiry([listing], {"relationship_end": None}) is None


RULES = ["1 days after a", "3 days after a", "2 weeks after a", "1 months after a", "3 months after a",
         "6 months after a", "13 months after a", "1 years after a", "2 years after a", "5 years after a",
         "5 years after end of year of a", "3 months after end of year of a",
         "10 days after end of year of a", "until a"]
AS_OF = [dt(2025, 2, 28, 10, 30), dt(2024, 2, 29, 0, 0), dt(2024, 3, 31, 23, 59, 59), dt(2025, 1, 1),
         dt(2025, 3, 1, 0, 0, 1), dt(2024, 12, 31, 12), dt(2025, 4, 30, 6), dt(2025, 7, 15, 15, 15)]


@pytest.mark.parametrize("rule", RULES)
def test_windows_agree_with_expiry_functions(rule: str) -> None:
    """The SQL ranges select exactly the anchors whose expiry has come (datetimes and dates)."""
    rng = random.Random(rule)
    t = term(rule)
    for as_of in AS_OF:
        wins_dt, wins_d = windows(t.rule, as_of, "datetime"), windows(t.rule, as_of, "date")  # type: ignore[arg-type]
        span = (as_of - dt(2018, 1, 1)).days
        anchors = [dt(2018, 1, 1) + timedelta(days=rng.randrange(span + 2), seconds=rng.randrange(86400))
                   for _ in range(400)]
        # Dense coverage around month ends and the as_of's own time of day.
        for back in (0, 1, 3, 7, 14, 31, 92, 183, 365, 366, 730, 1826, 2191):
            base = as_of - timedelta(days=back)
            for day in range(-4, 5):
                for sec in (-1, 0, 1):
                    anchors.append(base + timedelta(days=day, seconds=sec))
        for a in anchors:
            assert in_windows(a, wins_dt, "datetime") == is_expired(purpose_expiry(t, a), as_of), (a, as_of)
            d = a.date()
            assert in_windows(d, wins_d, "date") == is_expired(purpose_expiry(t, d), as_of), (d, as_of)
