"""IT house with a webshop (seed 000): every retention promise kept by `retention run`.

Sales 3 years after the last purchase and profiles 3 years after the last login (anonymised,
not deleted); service cases 3 years after closing; web visits 13 months; campaigns 3 months
after they end; invoices 5 years after the end of the year; IT service contacts 3 years after
the contract ends; applicants (and their consented sensitive data) 6 months after rejection;
newsletter and e-mail marketing until consent is withdrawn.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from retention_scenario import (
    rows,
    test_a_second_run_finds_nothing,  # noqa: F401  (a shared test: collected here too)
    test_every_time_rule_is_kept,  # noqa: F401  (a shared test: collected here too)
)

EXAMPLE = "it-house-webshop"
WITHDRAWN = [("jane@kontorhuset.example", "newsletter"), ("jane@kontorhuset.example", "electronic_marketing")]
SNAPSHOT = ("newsletter_subscriber", "applicant", "campaign_entry", "service_case", "orders")
OVERDUE = {"webshop.campaign_entry", "webshop.web_visit", "webshop.invoice", "webshop.service_case",
           "webshop.orders", "crm.service_contact", "recruitment.applicant_sensitive",
           "recruitment.applicant"}


def test_applicants_6_months_after_rejection(company: dict[str, Any]) -> None:
    url = company["url"]
    names = {r.email for r in rows(url, "SELECT email FROM applicant")}
    assert "lars.bach@post.example" in names  # rejected 2 months ago
    assert all(r.rejected_at is None or r.rejected_at > datetime(2024, 12, 15, 12)
               for r in rows(url, "SELECT rejected_at FROM applicant"))
    assert all(r.rejected_at is None or r.rejected_at > datetime(2024, 12, 15, 12)
               for r in rows(url, "SELECT rejected_at FROM applicant_sensitive"))


def test_campaigns_3_months_after_they_end(company: dict[str, Any]) -> None:
    url = company["url"]
    left = rows(url, "SELECT * FROM campaign_entry")
    assert all(r.campaign_ends_at > datetime(2025, 3, 15, 12) for r in left)
    assert "peter@kontorhuset.example" in {r.email for r in left}


def test_sales_and_service_anonymised_not_deleted(company: dict[str, Any]) -> None:
    url = company["url"]
    old_orders = rows(url, "SELECT * FROM orders WHERE ordered_at <= '2022-06-15 12:00:00'")
    assert old_orders and all(r.delivery_phone is None and r.delivery_name == "[anonymiseret]"
                              for r in old_orders)
    assert len(rows(url, "SELECT id FROM orders")) == len(company["snapshot"]["orders"])  # nothing deleted
    old_cases = rows(url, "SELECT * FROM service_case WHERE closed_at <= '2022-06-15 12:00:00'")
    assert old_cases and all(r.contact_phone is None for r in old_cases)
    visits = rows(url, "SELECT * FROM web_visit WHERE visited_at <= '2024-05-15 12:00:00'")
    assert all(r.user_agent is None for r in visits)


def test_invoices_5_years_after_the_end_of_the_year(company: dict[str, Any]) -> None:
    old = rows(company["url"], "SELECT * FROM invoice WHERE invoice_date < '2020-01-01'")
    assert all(r.billing_name == "[anonymiseret]" for r in old)
    assert rows(company["url"], "SELECT id FROM invoice WHERE invoice_date >= '2020-01-01' "
                                "AND billing_name != '[anonymiseret]'")


def test_newsletter_until_consent_withdrawn(company: dict[str, Any]) -> None:
    emails = {r.email for r in rows(company["url"], "SELECT email FROM newsletter_subscriber")}
    assert "jane@kontorhuset.example" not in emails
    assert len(emails) == len(company["snapshot"]["newsletter_subscriber"]) - 1
