"""Signalpost ApS (sms-gateway): every retention promise kept by `retention run`.

SMS logs 3 months; a customer who opts out of logging has no log; SMS sent by e-mail 3 days,
then gone from backups too (each day's messages under their own vault key, destroyed once
the day's last message is deleted); invoices 5 years after the end of the year; accounts
erased 3 months after termination (the row kept, anonymised, while invoices need it, and
deleted with its last invoice); abuse cases 3 years; support 1 year; statistics 3 months;
offers until consent is withdrawn.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from retention_scenario import HASH_KEY, NOW, N, rows

from persondata import examples
from persondata.consent import service as consent
from persondata.consent.schemas import Source
from persondata.db.engine import Database
from persondata.db.migrate import upgrade
from persondata.identity import Hasher, make_identity
from persondata.policy.loader import load_policy
from persondata.retention import service
from persondata.settings import load_settings
from persondata.vault.crypto import KeyShredded
from persondata.vault.service import Vault

EXAMPLE = "sms-gateway"
MASTER = "ZXhhbXBsZS1tYXN0ZXIta2V5LTMyLWJ5dGVzLWxvbmc="  # a test key (module-scoped fixture)


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The gateway built at NOW with real vault tokens (one key per subject per day), a backup
    copy taken, Jane's withdrawal of offers recorded, then `retention run` at NOW."""
    tmp_path = tmp_path_factory.mktemp("sms")
    example_policy = load_policy(examples.policy_path(EXAMPLE), env={})
    settings = load_settings(hash_key=HASH_KEY, master_key=MASTER)
    state = Database(f"sqlite:///{tmp_path / 'state.db'}")
    upgrade(state)
    hasher = Hasher(settings.hash_key)
    url = f"sqlite:///{tmp_path / 'company.db'}"
    with state.transaction() as s:
        vault = Vault(s, settings, rotate_after=timedelta(days=1))

        def encrypt(email: str, body: str, at: datetime) -> str:
            return vault.encrypt(hasher.hash(make_identity("email", email)), body, now=at.replace(tzinfo=UTC))

        examples.build(EXAMPLE, url, customers=20, seed=1, now=NOW, encrypt=encrypt)
        consent.withdraw(s, example_policy.policy, hasher, make_identity("email", "jane@madsen-el.example"),
                         "offers", source=Source.unsubscribe_link, actor="test", at=NOW - timedelta(days=1))
    backup = tmp_path / "backup.db"
    shutil.copyfile(tmp_path / "company.db", backup)
    before = {t: rows(url, f"SELECT * FROM {t}") for t in
              ("sms_log", "sms_email", "invoice", "account", "abuse_case", "support_request", "page_view",
               "premium_charge", "newsletter_subscription", "payment")}
    report = service.run(example_policy.policy, settings, state, as_of=NOW,
                         env=examples.env_for(EXAMPLE, url))
    yield {"url": url, "state": state, "settings": settings, "backup": f"sqlite:///{backup}",
           "before": before, "report": report, "hasher": hasher, "policy": example_policy.policy}
    state.dispose()


def test_sms_logs_kept_3_months_and_none_for_who_opted_out(company: dict[str, Any]) -> None:
    before, url = company["before"], company["url"]
    cutoff = N - timedelta(days=92)  # 15 June - 3 months = 15 March
    assert any(r.sent_at <= datetime(2025, 3, 15, 12) for r in before["sms_log"])
    left = rows(url, "SELECT sent_at, no_logging FROM sms_log")
    assert left and all(r.sent_at > datetime(2025, 3, 15, 12) for r in left)
    assert not any(r.no_logging for r in left)  # Mikkel opted out: nothing of his is logged
    assert any(r.no_logging and r.sent_at > cutoff for r in before["sms_log"])
    kept = [r for r in before["sms_log"] if r.sent_at > datetime(2025, 3, 15, 12) and not r.no_logging]
    assert len(left) == len(kept)


def test_sms_by_email_gone_after_3_days_even_from_the_backup(company: dict[str, Any]) -> None:
    url, state, settings = company["url"], company["state"], company["settings"]
    left = rows(url, "SELECT received_at FROM sms_email")
    assert all(r.received_at > N - timedelta(days=3) for r in left)
    jane = company["hasher"].hash(make_identity("email", "jane@madsen-el.example"))
    backed_up = rows(company["backup"], "SELECT e.body_ciphertext, e.received_at FROM sms_email e "
                      "JOIN account a ON a.id = e.account_id WHERE a.email = 'jane@madsen-el.example'")
    old = [r for r in backed_up if r.received_at <= N - timedelta(days=3)]
    new = [r for r in backed_up if r.received_at > N - timedelta(days=3)]
    assert old and new
    with state.transaction() as s:
        vault = Vault(s, settings)
        for r in old:
            with pytest.raises(KeyShredded):
                vault.decrypt(jane, r.body_ciphertext)
        for r in new:
            assert vault.decrypt_text(jane, r.body_ciphertext)
    # One key per day: every day whose messages are all gone had its key destroyed.
    assert company["report"].shredded_keys >= len({r.received_at.date() for r in old}) >= 2


def test_invoices_5_years_after_end_of_year_and_accounts_3_months_after_termination(
        company: dict[str, Any]) -> None:
    url, before = company["url"], company["before"]
    assert any(r.invoice_date < date(2020, 1, 1) for r in before["invoice"])
    invoices = rows(url, "SELECT invoice_date FROM invoice")
    assert invoices and min(r.invoice_date for r in invoices) >= date(2020, 1, 1)
    assert any(r.invoice_date.year == 2020 for r in invoices)  # kept until 1 January 2026
    sofie = rows(url, "SELECT * FROM account WHERE account_no = 'SP000003' OR id = 3")
    assert len(sofie) == 1  # terminated 150 days ago: expired, but her invoices still need the row
    assert sofie[0].email is None and sofie[0].phone is None and sofie[0].contact_name is None
    # Accounts terminated > 3 months ago without invoices left are deleted outright.
    for acc in before["account"]:
        if acc.terminated_at and acc.terminated_at <= N - timedelta(days=92):
            still = rows(url, "SELECT email FROM account WHERE id = :i", i=acc.id)
            assert not still or still[0].email is None


def test_abuse_cases_3_years_support_1_year_statistics_3_months(company: dict[str, Any]) -> None:
    url = company["url"]
    cases = rows(url, "SELECT closed_at FROM abuse_case")
    assert all(r.closed_at > N - timedelta(days=3 * 365) for r in cases)
    assert len(rows(url, "SELECT id FROM abuse_case WHERE account_id = 3")) == 1  # Sofie's recent case
    assert all(r.closed_at is None or r.closed_at > N - timedelta(days=365)
               for r in rows(url, "SELECT closed_at FROM support_request"))
    assert all(r.viewed_at > N - timedelta(days=92) for r in rows(url, "SELECT viewed_at FROM page_view"))
    assert all(r.charged_at > N - timedelta(days=92)
               for r in rows(url, "SELECT charged_at FROM premium_charge"))


def test_offers_until_consent_withdrawn(company: dict[str, Any]) -> None:
    subs = rows(company["url"], "SELECT email FROM newsletter_subscription")
    assert "jane@madsen-el.example" not in {r.email for r in subs}
    assert len(subs) == len(company["before"]["newsletter_subscription"]) - 1


def test_forecast_and_a_second_run_find_nothing_more_now(company: dict[str, Any]) -> None:
    env = examples.env_for(EXAMPLE, company["url"])
    again = service.forecast(company["policy"], company["settings"], company["state"], as_of=NOW, env=env)
    assert again.totals()["delete"] == again.totals()["anonymise"] == 0
    later = service.forecast(company["policy"], company["settings"], company["state"],
                             as_of=datetime(2026, 1, 1, tzinfo=UTC), env=env)
    assert any(ln.table == "invoice" and ln.action == "delete" for ln in later.lines if ln.rows)
