"""The five example policies: schema-valid, loader-clean, and consistent data maps."""

from __future__ import annotations

import re

import pytest
import yaml
from stdnum.dk import cvr
from stdnum.no import orgnr

from persondata import examples
from persondata.policy.loader import load_policy
from persondata.policy.model import Basis, Policy, Role, Strategy
from persondata.policy.retention import parse_retention

NAMES = list(examples.EXAMPLES)
EEA = {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT",
       "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO"}


def policy(name: str) -> Policy:
    """The example's policy through the schema only."""
    return Policy.model_validate(yaml.safe_load(examples.policy_path(name).read_text(encoding="utf-8")))


def test_there_are_five_examples_in_seed_order() -> None:
    assert NAMES == ["it-house-webshop", "network-software-vendor", "agency-with-payments",
                     "business-telephony", "sms-gateway"]


@pytest.mark.parametrize("name", NAMES)
def test_schema_valid(name: str) -> None:
    p = policy(name)
    assert p.purposes and p.systems and p.recipients


@pytest.mark.parametrize("name", NAMES)
def test_loader_has_no_errors_and_no_warnings(name: str) -> None:
    loaded = load_policy(examples.policy_path(name), env={})
    assert [f"{w.line}: {w.message}" for w in loaded.warnings] == []


@pytest.mark.parametrize("name", NAMES)
def test_data_map_is_consistent(name: str) -> None:
    assert examples.data_map_problems(policy(name)) == []


@pytest.mark.parametrize("name", NAMES)
def test_controller_is_made_up_and_valid(name: str) -> None:
    p = policy(name)
    c = p.controller
    assert c.registration is not None
    module = orgnr if c.country == "NO" else cvr
    assert module.is_valid(c.registration)
    assert c.email.endswith(".example")
    assert c.languages == (["nb", "en"] if c.country == "NO" else ["da", "en"])
    text = examples.policy_path(name).read_text(encoding="utf-8")
    for address in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text):
        assert address.endswith(".example"), address


@pytest.mark.parametrize("name", NAMES)
def test_every_text_is_in_every_language(name: str) -> None:
    p = policy(name)
    langs = set(p.controller.languages)
    texts = [s.name for s in p.subjects.values()] + [c.name for c in p.categories.values()]
    for purpose in p.purposes.values():
        texts += [purpose.name, purpose.description, purpose.interest, purpose.retention_note, purpose.source]
        if purpose.consent is not None:
            texts.append(purpose.consent.withdraw)
    texts += [c.name for c in p.cookies.values()] + list(p.security_measures)
    for text in texts:
        if isinstance(text, dict):
            assert set(text) == langs, text


@pytest.mark.parametrize("name", NAMES)
def test_retention_rules_parse_and_system_urls_are_env_references(name: str) -> None:
    p = policy(name)
    for key, purpose in p.purposes.items():
        assert purpose.retention, key
        parse_retention(purpose.retention)
    for system in p.systems.values():
        assert re.fullmatch(r"\$\{[A-Z_]+_DB_URL\}", system.url)
    assert examples.system_env_vars(name)


@pytest.mark.parametrize("name", NAMES)
def test_third_country_recipients_have_a_transfer_mechanism(name: str) -> None:
    for recipient in policy(name).recipients.values():
        if recipient.country not in EEA:
            assert recipient.transfer is not None, recipient.name
        if recipient.role in (Role.processor, Role.sub_processor):
            assert recipient.dpa_signed is not None, recipient.name


@pytest.mark.parametrize("name", NAMES)
def test_consent_purposes_say_how_to_withdraw(name: str) -> None:
    for purpose in policy(name).purposes.values():
        if purpose.basis is Basis.consent:
            assert purpose.consent is not None
        if purpose.basis is Basis.legitimate_interest:
            assert purpose.interest is not None


@pytest.mark.parametrize("name", NAMES)
def test_card_fields_never_keep_more_than_4_digits(name: str) -> None:
    """A card field is deleted with its row, or masked down to at most its last 4 digits."""
    for system in policy(name).systems.values():
        for table in system.tables.values():
            for column in table.fields:
                spec = table.field_spec(column)
                if spec.category == "user.financial.credit_card":
                    assert spec.erasure in (None, Strategy.delete, Strategy.mask), column
                    if spec.erasure is Strategy.mask:
                        assert spec.keep_last <= 4


def test_env_for_points_every_system_at_one_url() -> None:
    env = examples.env_for("it-house-webshop", "sqlite:///x.db", {"OTHER": "1"})
    assert env == {"OTHER": "1", "WEBSHOP_DB_URL": "sqlite:///x.db", "CRM_DB_URL": "sqlite:///x.db",
                   "RECRUITMENT_DB_URL": "sqlite:///x.db"}


def test_unknown_example_lists_the_names() -> None:
    from persondata.errors import NotFoundError

    with pytest.raises(NotFoundError, match="sms-gateway"):
        examples.example_dir("no-such-company")
