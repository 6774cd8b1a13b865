"""Agency with payments (seed 002): every retention promise kept by `retention run`.

Contact-form data 2 years after the last contact; other contacts 5 years; customers 5 years
after the relationship ends; stored cards until they expire; invoices 5 years after the end
of the year; security reports 2 years after closing; newsletter until consent is withdrawn.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from persondata import examples
from persondata.consent import service as consent
from persondata.consent.schemas import Source
from persondata.db.engine import Database
from persondata.db.migrate import upgrade
from persondata.identity import Hasher, make_identity
from persondata.policy.loader import load_policy
from persondata.retention import service
from persondata.retention.oracle import overdue
from persondata.settings import load_settings

EXAMPLE = "agency-with-payments"
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
N = NOW.replace(tzinfo=None)  # the company database stores naive UTC
HASH_KEY = "example-hash-key"
WITHDRAWN = [("jane@jensen-revision.example", "newsletter"),
             ("jane@jensen-revision.example", "partner_marketing")]
SNAPSHOT = ("newsletter_subscriber", "payment_card", "security_report")
OVERDUE = {"agency.security_report", "agency.contact_log", "agency.contact_request", "agency.invoice",
           "agency.payment_card", "agency.customer"}

def _typed(value: Any) -> Any:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return date.fromisoformat(value)
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?", value):
        return datetime.fromisoformat(value)
    return value


def rows(url: str, sql: str, **params: Any) -> list[Any]:
    """Rows of a query as namespaces, dates and times parsed (SQLite returns them as text)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            result = conn.execute(sa.text(sql), params)
            names = list(result.keys())
            return [SimpleNamespace(**{k: _typed(v) for k, v in zip(names, r, strict=True)})
                    for r in result.all()]
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The company built at NOW (20 customers), consent withdrawals recorded, then `retention run`."""
    tmp = tmp_path_factory.mktemp("company")
    policy = load_policy(examples.policy_path(EXAMPLE), env={}).policy
    settings = load_settings(hash_key=HASH_KEY, database_url=f"sqlite:///{tmp / 'state.db'}")
    state = Database(settings.state_url)
    upgrade(state)
    url = f"sqlite:///{tmp / 'company.db'}"
    env = examples.env_for(EXAMPLE, url)
    examples.build(EXAMPLE, url, customers=20, seed=1, now=NOW)
    hasher = Hasher(HASH_KEY)
    with state.transaction() as s:
        for email, purpose in WITHDRAWN:
            consent.withdraw(s, policy, hasher, make_identity("email", email), purpose,
                             source=Source.unsubscribe_link, actor="test", at=NOW - timedelta(days=1))
    before = overdue(policy, NOW, env=env, hasher=hasher)
    snapshot = {t: rows(url, f"SELECT * FROM {t}") for t in SNAPSHOT}
    report = service.run(policy, settings, state, as_of=NOW, env=env)
    yield {"url": url, "env": env, "policy": policy, "settings": settings, "state": state,
           "hasher": hasher, "before": before, "snapshot": snapshot, "report": report}
    state.dispose()


def test_every_time_rule_is_kept(company: dict[str, Any]) -> None:
    """Before the run these tables hold expired rows; after it, no expired row holds personal data
    (checked row by row in Python, independently of the SQL that did the work)."""
    assert set(company["before"]) == OVERDUE
    assert company["report"].status == "completed"
    assert overdue(company["policy"], NOW, env=company["env"], hasher=company["hasher"]) == {}


def test_a_second_run_finds_nothing(company: dict[str, Any]) -> None:
    again = service.forecast(company["policy"], company["settings"], company["state"], as_of=NOW,
                             env=company["env"])
    assert again.totals()["delete"] == again.totals()["anonymise"] == 0


def test_contact_form_2_years_and_other_contacts_5_years(company: dict[str, Any]) -> None:
    url = company["url"]
    assert all(r.last_contact_at > N.replace(year=2023) for r in rows(url, "SELECT * FROM contact_request"))
    assert all(r.contacted_at > N.replace(year=2020) for r in rows(url, "SELECT * FROM contact_log"))
    assert not rows(url, "SELECT id FROM contact_request WHERE email = 'jane@jensen-revision.example'")


def test_cards_until_they_expire(company: dict[str, Any]) -> None:
    jane = rows(company["url"], "SELECT p.expires_on FROM payment_card p JOIN customer c "
                                "ON c.id = p.customer_id WHERE c.email = 'jane@jensen-revision.example'")
    assert len(jane) == 1 and jane[0].expires_on > N.date()  # the card that expired 2 months ago is gone
    assert all(r.expires_on > N.date() for r in rows(company["url"], "SELECT expires_on FROM payment_card"))


def test_customers_5_years_after_the_relationship_and_invoices_5_years_after_year_end(
        company: dict[str, Any]) -> None:
    url = company["url"]
    assert not rows(url, "SELECT id FROM customer WHERE email = 'henrik@lund-auto.example'")
    old = rows(url, "SELECT * FROM invoice WHERE invoice_date < '2020-01-01'")
    assert old and all(r.billing_name != "Henrik Lund" and not r.billing_address for r in old)
    assert rows(url, "SELECT id FROM invoice WHERE invoice_date >= '2020-01-01' AND billing_name IS NOT NULL")


def test_security_reports_2_years_after_closing(company: dict[str, Any]) -> None:
    url = company["url"]
    left = rows(url, "SELECT * FROM security_report")
    assert "soren.bach@post.example" not in {r.reporter_email for r in left}
    assert any(r.received_at > N - timedelta(days=2) for r in left)  # yesterday's anonymous report


def test_newsletter_until_consent_withdrawn(company: dict[str, Any]) -> None:
    emails = {r.email for r in rows(company["url"], "SELECT email FROM newsletter_subscriber")}
    assert "jane@jensen-revision.example" not in emails
    assert len(emails) == len(company["snapshot"]["newsletter_subscriber"]) - 1
