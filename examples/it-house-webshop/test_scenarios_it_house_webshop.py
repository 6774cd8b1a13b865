"""Scenarios for Havbro IT A/S (it-house-webshop, seed 000): the policy carries every promise."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from persondata.policy.loader import LoadedPolicy
from persondata.policy.model import Art9Condition, Basis, Role, Strategy, Transfer

EXAMPLE = "it-house-webshop"


def test_policy_validates(example_policy: LoadedPolicy) -> None:
    assert example_policy.policy.controller.name == "Havbro IT A/S"


def test_applicants_sensitive_data_only_by_explicit_consent_and_deleted_6_months_after_rejection(
        example_policy: LoadedPolicy) -> None:
    p = example_policy.policy
    sensitive = p.purposes["recruitment_sensitive"]
    assert sensitive.basis is Basis.consent and sensitive.art9 is Art9Condition.explicit_consent
    assert sensitive.consent is not None and sensitive.consent.explicit
    assert "user.government_id.national_identification_number" in sensitive.categories
    for key in ("recruitment", "recruitment_sensitive"):
        assert p.purposes[key].retention == "6 months after application_rejected"
    assert p.purposes["recruitment"].source is not None


def test_newsletter_and_campaigns_by_consent(example_policy: LoadedPolicy) -> None:
    p = example_policy.policy
    for key in ("newsletter", "electronic_marketing", "campaigns_surveys"):
        assert p.purposes[key].basis is Basis.consent
    assert {"newsletter", "electronic_marketing"} <= set(p.marketing_purposes())


def test_four_cookie_categories_with_a_us_analytics_vendor(example_policy: LoadedPolicy) -> None:
    p = example_policy.policy
    assert list(p.cookies) == ["necessary", "preferences", "operations", "marketing"]
    google = p.recipients[p.cookies["marketing"].vendors[0]]
    assert google.country == "US" and google.transfer is Transfer.dpf


def test_group_companies_and_processors_outside_the_eea(example_policy: LoadedPolicy) -> None:
    p = example_policy.policy
    outside = {k: r for k, r in p.recipients.items() if r.country not in {"DK", "SE", "NO", "DE", "IE"}}
    assert {"group_services", "helpdesk", "google"} <= set(outside)
    assert all(r.transfer is not None for r in outside.values())
    assert p.recipients["group_parent"].role is Role.processor


def test_anonymise_instead_of_delete(example_policy: LoadedPolicy) -> None:
    customer = example_policy.policy.systems["webshop"].tables["customer"]
    strategies = {c: customer.field_spec(c).erasure for c in customer.fields}
    assert Strategy.delete not in strategies.values()
    assert strategies["email"] is Strategy.hash and strategies["name"] is Strategy.redact


def test_self_service_deletion_and_processor_record(example_policy: LoadedPolicy) -> None:
    p = example_policy.policy
    assert p.rights.self_service_erasure
    assert set(p.processor_activities) == {"online_backup", "hosting"}


def test_shared_address_is_a_reference(example_policy: LoadedPolicy, example_db: str) -> None:
    customer = example_policy.policy.systems["webshop"].tables["customer"]
    assert customer.references == {"address_id": "address.id"}
    engine = create_engine(example_db)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT email, address_id FROM customer WHERE email LIKE :domain"),
                                {"domain": "%@kontorhuset.example"})
            addresses = {email: address for email, address in rows}
        assert addresses == {"jane@kontorhuset.example": 1, "peter@kontorhuset.example": 1}
    finally:
        engine.dispose()
