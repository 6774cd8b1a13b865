"""Scenarios for Kystlys Kommunikation ApS (agency-with-payments, seed 002)."""

from __future__ import annotations

import re

from sqlalchemy import create_engine, text

from persondata.calendar import parse_duration
from persondata.policy.loader import LoadedPolicy
from persondata.policy.model import Strategy

EXAMPLE = "agency-with-payments"


def test_policy_validates(example_policy: LoadedPolicy) -> None:
    assert example_policy.policy.controller.name == "Kystlys Kommunikation ApS"


def test_contact_form_2_years_and_customers_5_years(example_policy: LoadedPolicy) -> None:
    p = example_policy.policy
    assert p.purposes["contact_form"].retention == "2 years after last_contact"
    assert p.purposes["customer_relationship"].retention == "5 years after relationship_end"


def test_only_last_4_card_digits_and_expiry(example_policy: LoadedPolicy, example_db: str) -> None:
    p = example_policy.policy
    assert p.purposes["card_reference"].retention == "until card_expiry"
    invoice = p.systems["agency"].tables["invoice"].field_spec("card_number")
    assert (invoice.erasure, invoice.keep_last) == (Strategy.mask, 4)  # kept for bookkeeping, masked
    engine = create_engine(example_db)
    try:
        with engine.connect() as conn:
            numbers = [r[0] for r in conn.execute(text("SELECT card_number FROM payment_card UNION ALL "
                                                       "SELECT card_number FROM invoice"))]
        assert numbers and all(n is None or re.fullmatch(r"\*{12}\d{4}", n) for n in numbers)
    finally:
        engine.dispose()


def test_marketing_pixels_by_consent(example_policy: LoadedPolicy) -> None:
    p = example_policy.policy
    assert set(p.cookies["marketing"].vendors) == {"google", "meta", "linkedin", "x"}
    assert "cookies.marketing" in p.consent_purposes()


def test_breach_reports_receipt_2_business_days_feedback_2_weeks(example_policy: LoadedPolicy) -> None:
    b = example_policy.policy.breaches
    assert parse_duration(b.reporter_receipt) == (2, "business_days")
    assert parse_duration(b.reporter_feedback) == (2, "weeks")
