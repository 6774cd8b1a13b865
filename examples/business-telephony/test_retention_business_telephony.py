"""Business telephony (seed 003): every retention promise kept by `retention run`.

Traffic and location data 6 months after the call; customer and user data 3 years after the
relationship ends; invoices 5 years after the end of the year; support 1 year after the
ticket closes; directory listings until the relationship ends, unlisted numbers at once;
newsletter until consent is withdrawn.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from retention_scenario import (
    N,
    rows,
    test_a_second_run_finds_nothing,  # noqa: F401  (a shared test: collected here too)
    test_every_time_rule_is_kept,  # noqa: F401  (a shared test: collected here too)
)

EXAMPLE = "business-telephony"
WITHDRAWN = [("thomas.holm@design-hansen.example", "newsletter")]
SNAPSHOT = ("call_record", "directory_listing", "newsletter_subscriber", "phone_user")
OVERDUE = {"telephony.support_ticket", "telephony.invoice", "telephony.call_record",
           "telephony.directory_listing", "telephony.phone_user"}


def test_traffic_data_6_months_after_the_call(company: dict[str, Any]) -> None:
    url = company["url"]
    calls = rows(url, "SELECT c.started_at FROM call_record c JOIN phone_user u ON u.id = c.phone_user_id "
                      "WHERE u.email = 'jens@tomrer-hansen.example'")
    assert calls and all(r.started_at > datetime(2024, 12, 15, 12) for r in calls)
    before = [c for c in company["snapshot"]["call_record"] if c.started_at <= datetime(2024, 12, 15, 12)]
    assert before  # there were older calls
    every = rows(url, "SELECT started_at FROM call_record")
    assert all(r.started_at > datetime(2024, 12, 15, 12) for r in every)


def test_unlisted_numbers_leave_the_directory_at_once(company: dict[str, Any]) -> None:
    assert any(r.unlisted for r in company["snapshot"]["directory_listing"])
    assert not rows(company["url"], "SELECT id FROM directory_listing WHERE unlisted = 1")


def test_users_3_years_after_the_relationship_and_support_1_year(company: dict[str, Any]) -> None:
    url = company["url"]
    assert not rows(url, "SELECT id FROM phone_user WHERE email = 'bent@poulsen-vvs.example'")
    tickets = rows(url, "SELECT closed_at FROM support_ticket")
    assert all(r.closed_at is None or r.closed_at > N - timedelta(days=365) for r in tickets)


def test_invoices_5_years_after_the_end_of_the_year(company: dict[str, Any]) -> None:
    dates = [r.invoice_date for r in rows(company["url"], "SELECT invoice_date FROM invoice")]
    assert dates and min(dates) >= date(2020, 1, 1)


def test_newsletter_until_consent_withdrawn(company: dict[str, Any]) -> None:
    emails = {r.email for r in rows(company["url"], "SELECT email FROM newsletter_subscriber")}
    assert "thomas.holm@design-hansen.example" not in emails
    assert len(emails) == len(company["snapshot"]["newsletter_subscriber"]) - 1
