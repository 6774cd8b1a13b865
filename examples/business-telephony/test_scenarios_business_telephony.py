"""Scenarios for Vesterhav Telecom A/S (business-telephony, seed 003)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import create_engine, text

from persondata.policy.loader import LoadedPolicy
from persondata.policy.model import Basis, Role, text_in

EXAMPLE = "business-telephony"


def test_policy_is_versioned(example_policy: LoadedPolicy) -> None:
    c = example_policy.policy.controller
    assert (c.policy_version, c.policy_date) == ("1.1", date(2020, 3, 1))
    assert c.dpo is not None


def test_traffic_data_and_country_level_location(example_policy: LoadedPolicy, example_db: str) -> None:
    p = example_policy.policy
    assert "telecom.traffic_data" in p.categories
    assert p.purposes["location_data"].categories == ["user.location.imprecise"]
    engine = create_engine(example_db)
    try:
        with engine.connect() as conn:
            countries = {r[0] for r in conn.execute(text("SELECT DISTINCT country_to FROM call_record"))}
        assert countries and all(len(c) == 2 for c in countries)
    finally:
        engine.dispose()


def test_data_via_the_employer_is_the_source(example_policy: LoadedPolicy) -> None:
    p = example_policy.policy
    user = p.systems["telephony"].tables["phone_user"]
    assert "arbejdsgiver" in text_in(user.source, "da")
    assert "business_customer.id" in user.references.values()


def test_joint_and_independent_controllers_and_directory_services(example_policy: LoadedPolicy) -> None:
    p = example_policy.policy
    assert p.recipients["parent_group"].role is Role.joint_controller
    assert p.recipients["operator_a"].role is Role.controller
    assert p.purposes["directory_services"].basis is Basis.legal_obligation
    listing = p.systems["telephony"].tables["directory_listing"]
    assert listing.purposes == ["directory_services"] and listing.opt_out_flag == "unlisted"


def test_banner_ok_no_thanks(example_policy: LoadedPolicy) -> None:
    banner = example_policy.policy.banner
    assert text_in(banner.accept, "da") == "OK"
    assert text_in(banner.reject, "da") == "Nej tak"
    assert text_in(banner.reject, "en") == "No thanks"
