"""The data taxonomy: fideslang keys and names, translations, special categories, policy overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from persondata.policy import taxonomy
from persondata.policy.loader import load_policy

GOOD = Path(__file__).parent / "fixtures" / "good.yaml"


def test_fideslang_keys_and_english_names() -> None:
    categories = taxonomy.data_categories()
    assert categories["user.contact.email"] == "User Contact Email"
    assert "user.financial.bank_account" in categories
    assert taxonomy.data_uses()["marketing.communications.email"]
    assert taxonomy.data_subjects()["job_applicant"] == "Job Applicant"
    assert taxonomy.is_taxonomy_category("user.name")
    assert not taxonomy.is_taxonomy_category("user.contact.skype")


def test_every_taxonomy_category_has_danish_and_norwegian_names() -> None:
    for key in taxonomy.data_categories():
        for lang in ("da", "nb"):
            name = taxonomy.category_name(key, lang)
            assert name not in (key, taxonomy.data_categories()[key]), (key, lang, name)


@pytest.mark.parametrize(("key", "lang", "name"), [
    ("user.contact.email", "da", "E-mailadresse"),
    ("user.contact.email", "nb", "E-postadresse"),
    ("user.contact.email", "no", "E-postadresse"),
    ("user.contact.email", "en", "User Contact Email"),
    ("user.government_id.national_identification_number", "da", "CPR-nummer"),
    ("user.government_id.national_identification_number", "nb", "Fødselsnummer"),
    ("not.a.key", "da", "not.a.key"),
])
def test_category_name(key: str, lang: str, name: str) -> None:
    assert taxonomy.category_name(key, lang) == name


def test_policy_names_win() -> None:
    policy = load_policy(GOOD, env={}).policy
    assert taxonomy.category_name("telecom.traffic_data", "da", policy) == "Trafikdata"
    assert taxonomy.category_name("telecom.traffic_data", "en", policy) == "Traffic data"
    assert taxonomy.category_name("telecom.traffic_data", "nb", policy) == "Traffic data"  # falls back to en
    assert taxonomy.category_exists("telecom.traffic_data", policy)
    assert not taxonomy.category_exists("telecom.traffic_data")


@pytest.mark.parametrize(("key", "special"), [
    ("user.biometric", True),
    ("user.biometric.fingerprint", True),
    ("user.authorization.biometric", True),
    ("user.health_and_medical", True),
    ("user.health_and_medical.genetic", True),
    ("user.demographic.political_opinion", True),
    ("user.demographic.race_ethnicity", True),
    ("user.demographic.religious_belief", True),
    ("user.demographic.sexual_orientation", True),
    ("user.demographic", False),
    ("user.demographic.gender", False),
    ("user.contact.email", False),
    ("user.criminal_history", False),
    ("user", False),
])
def test_is_special_taxonomy(key: str, special: bool) -> None:
    assert taxonomy.is_special(key) is special


def test_is_special_declared() -> None:
    policy = load_policy(GOOD, env={}).policy
    assert taxonomy.is_special("user.health_and_medical.allergies", policy)
    assert not taxonomy.is_special("telecom.traffic_data", policy)
    declared = policy.model_copy(update={"categories": {
        **policy.categories,
        "hr.union": policy.categories["telecom.traffic_data"].model_copy(update={"special": True}),
        "hr.union.dues": policy.categories["telecom.traffic_data"].model_copy(update={"parent": "hr.union"}),
    }})
    assert taxonomy.is_special("hr.union", declared)
    assert taxonomy.is_special("hr.union.dues", declared)  # by its declared parent
    assert taxonomy.is_special("hr.union.extra", declared)  # by its key's prefix


def test_criminal_and_national_id() -> None:
    assert taxonomy.is_criminal("user.criminal_history")
    assert not taxonomy.is_criminal("user.name")
    assert taxonomy.is_national_id("user.government_id.national_identification_number")
    assert not taxonomy.is_national_id("user.government_id.passport_number")


def test_taxonomy_parent() -> None:
    assert taxonomy.taxonomy_parent("user.contact.skype") == "user.contact"
    assert taxonomy.taxonomy_parent("user.contact.address.floor") == "user.contact.address"
    assert taxonomy.taxonomy_parent("telecom.traffic") is None
