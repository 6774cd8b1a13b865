"""Agency with payments (seed 002): every retention promise kept by `retention run`.

Contact-form data 2 years after the last contact; other contacts 5 years; customers 5 years
after the relationship ends; stored cards until they expire; invoices 5 years after the end
of the year; security reports 2 years after closing; newsletter until consent is withdrawn.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from retention_scenario import (
    N,
    rows,
    test_a_second_run_finds_nothing,  # noqa: F401  (a shared test: collected here too)
    test_every_time_rule_is_kept,  # noqa: F401  (a shared test: collected here too)
)

EXAMPLE = "agency-with-payments"
WITHDRAWN = [("jane@jensen-revision.example", "newsletter"),
             ("jane@jensen-revision.example", "partner_marketing")]
SNAPSHOT = ("newsletter_subscriber", "payment_card", "security_report")
OVERDUE = {"agency.security_report", "agency.contact_log", "agency.contact_request", "agency.invoice",
           "agency.payment_card", "agency.customer"}


def test_contact_form_2_years_and_other_contacts_5_years(company: dict[str, Any]) -> None:
    url = company["url"]
    assert all(r.last_contact_at > N.replace(year=2023) for r in rows(url, "SELECT * FROM contact_request"))
    assert all(r.contacted_at > N.replace(year=2020) for r in rows(url, "SELECT * FROM contact_log"))
    assert not rows(url, "SELECT id FROM contact_request WHERE email = 'jane@jensen-revision.example'")


def test_cards_until_they_expire(company: dict[str, Any]) -> None:
    jane = rows(company["url"], "SELECT p.expires_on FROM payment_card p JOIN customer c "
                                "ON c.id = p.customer_id WHERE c.email = 'jane@jensen-revision.example'")
    assert len(jane) == 1 and jane[0].expires_on > N.date()  # the card that expired 2 months ago is gone
    assert all(r.expires_on > N.date() for r in rows(company["url"], "SELECT expires_on FROM payment_card"))


def test_customers_5_years_after_the_relationship_and_invoices_5_years_after_year_end(
        company: dict[str, Any]) -> None:
    url = company["url"]
    assert not rows(url, "SELECT id FROM customer WHERE email = 'henrik@lund-auto.example'")
    old = rows(url, "SELECT * FROM invoice WHERE invoice_date < '2020-01-01'")
    assert old and all(r.billing_name != "Henrik Lund" and not r.billing_address for r in old)
    assert rows(url, "SELECT id FROM invoice WHERE invoice_date >= '2020-01-01' AND billing_name IS NOT NULL")


def test_security_reports_2_years_after_closing(company: dict[str, Any]) -> None:
    url = company["url"]
    left = rows(url, "SELECT * FROM security_report")
    assert "soren.bach@post.example" not in {r.reporter_email for r in left}
    assert any(r.received_at > N - timedelta(days=2) for r in left)  # yesterday's anonymous report


def test_newsletter_until_consent_withdrawn(company: dict[str, Any]) -> None:
    emails = {r.email for r in rows(company["url"], "SELECT email FROM newsletter_subscriber")}
    assert "jane@jensen-revision.example" not in emails
    assert len(emails) == len(company["snapshot"]["newsletter_subscriber"]) - 1
