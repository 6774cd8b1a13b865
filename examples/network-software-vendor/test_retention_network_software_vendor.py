"""Network software vendor (seed 001): every retention promise kept by `retention run`.

Customer data until the relationship ends; e-mail on the contact list until the person
unsubscribes (legacy consents included); invoices 5 years after the end of the year; staff
access records 2 years after access is revoked.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from retention_scenario import (
    rows,
    test_a_second_run_finds_nothing,  # noqa: F401  (a shared test: collected here too)
    test_every_time_rule_is_kept,  # noqa: F401  (a shared test: collected here too)
)

EXAMPLE = "network-software-vendor"
WITHDRAWN = [("kari@fiberlaget.example", "information_mailings")]
SNAPSHOT = ("mailing_list", "contact", "staff_access")
OVERDUE = {"customer_register.staff_access", "customer_register.invoice", "customer_register.correspondence",
           "customer_register.course_participation", "customer_register.license", "customer_register.contact"}


def test_customer_data_until_the_relationship_ends(company: dict[str, Any]) -> None:
    url = company["url"]
    ingrid = rows(url, "SELECT * FROM contact WHERE email = 'ingrid@bredband-lie.example'")
    assert not ingrid  # anonymised: kept only for the invoices bookkeeping still needs
    gone = [c for c in company["snapshot"]["contact"] if c.email == "ingrid@bredband-lie.example"]
    assert gone
    kept = rows(url, "SELECT * FROM contact WHERE id = :i", i=gone[0].id)
    assert not kept or (kept[0].name is None and kept[0].phone is None)
    assert not rows(url, "SELECT id FROM correspondence WHERE contact_id = :i", i=gone[0].id)
    assert rows(url, "SELECT id FROM invoice WHERE contact_id = :i", i=gone[0].id)  # still within bookkeeping


def test_invoices_5_years_after_the_end_of_the_year(company: dict[str, Any]) -> None:
    dates = [r.invoice_date for r in rows(company["url"], "SELECT invoice_date FROM invoice")]
    assert dates and min(dates) >= date(2020, 1, 1)


def test_staff_access_2_years_after_revocation(company: dict[str, Any]) -> None:
    emails = {r.employee_email for r in rows(company["url"], "SELECT employee_email FROM staff_access")}
    assert "silje.moen@kabelkart.example" not in emails and "trond.berg@kabelkart.example" in emails


def test_contact_list_until_unsubscribed(company: dict[str, Any]) -> None:
    emails = {r.email for r in rows(company["url"], "SELECT email FROM mailing_list")}
    assert "kari@fiberlaget.example" not in emails  # a legacy consent, withdrawn
    assert len(emails) >= len(company["snapshot"]["mailing_list"]) - 2
