"""Scenarios for Kabelkart Programvare AS (network-software-vendor, seed 001)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import create_engine, text

from persondata.policy.loader import LoadedPolicy
from persondata.policy.model import Basis

EXAMPLE = "network-software-vendor"


def test_policy_validates_in_bokmal(example_policy: LoadedPolicy) -> None:
    c = example_policy.policy.controller
    assert c.country == "NO" and c.languages == ["nb", "en"]


def test_email_kept_until_unsubscribed_with_legacy_consent(example_policy: LoadedPolicy) -> None:
    mailings = example_policy.policy.purposes["information_mailings"]
    assert mailings.basis is Basis.consent
    assert mailings.retention == "until consent withdrawn"
    assert mailings.consent is not None and mailings.consent.legacy_before == date(2018, 5, 25)


def test_no_cookies_at_all(example_policy: LoadedPolicy) -> None:
    assert example_policy.policy.cookies == {}


def test_staff_access_register(example_policy: LoadedPolicy) -> None:
    p = example_policy.policy
    table = p.systems["customer_register"].tables["staff_access"]
    assert table.purposes == ["access_control"]
    assert p.purposes["access_control"].basis is Basis.legal_obligation


def test_legacy_provenance_in_the_data(example_db: str) -> None:
    engine = create_engine(example_db)
    try:
        with engine.connect() as conn:
            kari = conn.execute(text("SELECT source, subscribed_at FROM mailing_list "
                                     "WHERE email = 'kari@fiberlaget.example'")).one()
        assert kari[0] == "legacy" and str(kari[1]) < "2018-05-25"
    finally:
        engine.dispose()
