"""IT house with a webshop (seed 000): every retention promise kept by `retention run`.

Sales 3 years after the last purchase and profiles 3 years after the last login (anonymised,
not deleted); service cases 3 years after closing; web visits 13 months; campaigns 3 months
after they end; invoices 5 years after the end of the year; IT service contacts 3 years after
the contract ends; applicants (and their consented sensitive data) 6 months after rejection;
newsletter and e-mail marketing until consent is withdrawn.
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

EXAMPLE = "it-house-webshop"
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
N = NOW.replace(tzinfo=None)  # the company database stores naive UTC
HASH_KEY = "example-hash-key"
WITHDRAWN = [("jane@kontorhuset.example", "newsletter"), ("jane@kontorhuset.example", "electronic_marketing")]
SNAPSHOT = ("newsletter_subscriber", "applicant", "campaign_entry", "service_case", "orders")
OVERDUE = {"webshop.campaign_entry", "webshop.web_visit", "webshop.invoice", "webshop.service_case",
           "webshop.orders", "crm.service_contact", "recruitment.applicant_sensitive",
           "recruitment.applicant"}

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
