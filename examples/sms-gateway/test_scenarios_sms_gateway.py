"""Scenarios for Signalpost ApS (sms-gateway, seed 004): the policy carries every promise.

Later scenarios (retention runs, subject requests) belong here too; `example_db` builds the
company at conftest.NOW and `example_policy` loads privacy.yaml.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from persondata import examples
from persondata.db.engine import Database
from persondata.db.migrate import upgrade
from persondata.identity import Hasher, make_identity
from persondata.policy.loader import LoadedPolicy
from persondata.policy.model import Basis, Role
from persondata.settings import load_settings
from persondata.vault.crypto import KeyShredded
from persondata.vault.service import Vault

EXAMPLE = "sms-gateway"
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)


def test_policy_validates(example_policy: LoadedPolicy) -> None:
    assert example_policy.policy.controller.name == "Signalpost ApS"


def test_sms_logs_are_kept_3_months_and_a_customer_may_opt_out(example_policy: LoadedPolicy) -> None:
    p = example_policy.policy
    assert p.purposes["sms_log"].retention == "3 months after sent_at"
    table = p.systems["gateway"].tables["sms_log"]
    assert table.purposes == ["sms_log"]
    assert table.anchors == {"sent_at": "sent_at"}
    assert table.opt_out_flag == "no_logging"
    assert {table.field_spec(c).category for c in table.fields} == {"sms.traffic_data", "sms.message_content"}


def test_sms_by_email_is_kept_3_days_and_crypto_shredded(example_policy: LoadedPolicy) -> None:
    p = example_policy.policy
    assert p.purposes["sms_by_email"].retention == "3 days after received_at"
    table = p.systems["gateway"].tables["sms_email"]
    assert table.field_spec("body_ciphertext").encrypted


def test_invoices_5_years_and_accounts_3_months_after_termination(example_policy: LoadedPolicy) -> None:
    p = example_policy.policy
    assert p.purposes["bookkeeping"].basis is Basis.legal_obligation
    assert p.purposes["bookkeeping"].retention == "5 years after end of year of invoice_date"
    assert p.purposes["account"].retention == "3 months after account_terminated"
    assert p.systems["gateway"].tables["account"].anchors == {"account_terminated": "terminated_at"}


def test_disclosure_to_abuse_registers(example_policy: LoadedPolicy) -> None:
    p = example_policy.policy
    assert "abuse_registers" in p.purposes["abuse_prevention"].recipients
    assert p.recipients["abuse_registers"].role is Role.controller


def test_no_age_gender_or_private_address(example_policy: LoadedPolicy) -> None:
    p = example_policy.policy
    categories = {c for purpose in p.purposes.values() for c in purpose.categories}
    assert not any(c.startswith(("user.demographic", "user.contact.address")) for c in categories)


def test_database_holds_160_characters_and_the_fixed_people(example_db: str) -> None:
    engine = create_engine(example_db)
    try:
        body = next(c for c in inspect(engine).get_columns("sms_log") if c["name"] == "body")
        assert body["type"].length == 160
        with engine.connect() as conn:

            def one(sql: str, **params: object) -> object:
                return conn.execute(text(sql), params).scalar_one()

            jane = one("SELECT id FROM account WHERE email = :e", e="jane@madsen-el.example")
            mikkel = one("SELECT id FROM account WHERE email = :e", e="mikkel@dam-transport.example")
            opted = conn.execute(text("SELECT DISTINCT no_logging FROM sms_log WHERE account_id = :a"),
                                 {"a": mikkel}).scalars().all()
            assert [bool(v) for v in opted] in ([True], [])
            assert one("SELECT COUNT(*) FROM sms_log WHERE account_id = :a", a=jane) == 30
            tokens = conn.execute(text("SELECT body_ciphertext FROM sms_email WHERE account_id = :a"),
                                  {"a": jane}).scalars().all()
            assert tokens and all(t.startswith("pdv1:") for t in tokens)
    finally:
        engine.dispose()


def test_sms_by_email_bodies_are_vault_tokens_that_shredding_destroys(tmp_path: Path) -> None:
    """Built with a real vault: Jane's bodies decrypt until her keys are shredded, then never."""
    state = Database(f"sqlite:///{tmp_path / 'state.db'}")
    upgrade(state)
    settings = load_settings()
    hasher = Hasher(settings.hash_key)
    url = f"sqlite:///{tmp_path / 'company.db'}"
    try:
        with state.transaction() as session:
            vault = Vault(session, settings, rotate_after=timedelta(days=1))

            def encrypt(email: str, body: str, at: datetime) -> str:
                subject = hasher.hash(make_identity("email", email))
                return vault.encrypt(subject, body, now=at.replace(tzinfo=UTC))

            examples.build(EXAMPLE, url, customers=5, seed=1, now=NOW, encrypt=encrypt)
        jane = hasher.hash(make_identity("email", "jane@madsen-el.example"))
        engine = create_engine(url)
        with engine.connect() as conn:
            tokens = conn.execute(text("SELECT body_ciphertext FROM sms_email WHERE from_address = :e"),
                                  {"e": "jane@madsen-el.example"}).scalars().all()
        engine.dispose()
        assert len(tokens) == 6
        with state.transaction() as session:
            vault = Vault(session, settings)
            assert all(vault.decrypt_text(jane, t) for t in tokens)
            assert vault.shred(jane) >= 1
        with state.transaction() as session, pytest.raises(KeyShredded):
            Vault(session, settings).decrypt_text(jane, tokens[0])
    finally:
        state.dispose()
