"""Network software vendor (seed 001): every retention promise kept by `retention run`.

Customer data until the relationship ends; e-mail on the contact list until the person
unsubscribes (legacy consents included); invoices 5 years after the end of the year; staff
access records 2 years after access is revoked.
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

EXAMPLE = "network-software-vendor"
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
N = NOW.replace(tzinfo=None)  # the company database stores naive UTC
HASH_KEY = "example-hash-key"
WITHDRAWN = [("kari@fiberlaget.example", "information_mailings")]
SNAPSHOT = ("mailing_list", "contact", "staff_access")
OVERDUE = {"customer_register.staff_access", "customer_register.invoice", "customer_register.correspondence",
           "customer_register.course_participation", "customer_register.license", "customer_register.contact"}

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


def test_customer_data_until_the_relationship_ends(company: dict[str, Any]) -> None:
    url = company["url"]
    ingrid = rows(url, "SELECT * FROM contact WHERE email = 'ingrid@bredband-lie.example'")
    assert not ingrid  # anonymised: kept only for the invoices bookkeeping still needs
    gone = [c for c in company["snapshot"]["contact"] if c.email == "ingrid@bredband-lie.example"]
    assert gone
    kept = rows(url, "SELECT * FROM contact WHERE id = :i", i=gone[0].id)
    assert not kept or (kept[0].name is None and kept[0].phone is None)
    assert not rows(url, "SELECT id FROM correspondence WHERE contact_id = :i", i=gone[0].id)
    assert rows(url, "SELECT id FROM invoice WHERE contact_id = :i", i=gone[0].id)  # still within bookkeeping


def test_invoices_5_years_after_the_end_of_the_year(company: dict[str, Any]) -> None:
    dates = [r.invoice_date for r in rows(company["url"], "SELECT invoice_date FROM invoice")]
    assert dates and min(dates) >= date(2020, 1, 1)


def test_staff_access_2_years_after_revocation(company: dict[str, Any]) -> None:
    emails = {r.employee_email for r in rows(company["url"], "SELECT employee_email FROM staff_access")}
    assert "silje.moen@kabelkart.example" not in emails and "trond.berg@kabelkart.example" in emails


def test_contact_list_until_unsubscribed(company: dict[str, Any]) -> None:
    emails = {r.email for r in rows(company["url"], "SELECT email FROM mailing_list")}
    assert "kari@fiberlaget.example" not in emails  # a legacy consent, withdrawn
    assert len(emails) >= len(company["snapshot"]["mailing_list"]) - 2
