"""Business telephony (seed 003): every retention promise kept by `retention run`.

Traffic and location data 6 months after the call; customer and user data 3 years after the
relationship ends; invoices 5 years after the end of the year; support 1 year after the
ticket closes; directory listings until the relationship ends, unlisted numbers at once;
newsletter until consent is withdrawn.
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

EXAMPLE = "business-telephony"
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
N = NOW.replace(tzinfo=None)  # the company database stores naive UTC
HASH_KEY = "example-hash-key"
WITHDRAWN = [("thomas.holm@design-hansen.example", "newsletter")]
SNAPSHOT = ("call_record", "directory_listing", "newsletter_subscriber", "phone_user")
OVERDUE = {"telephony.support_ticket", "telephony.invoice", "telephony.call_record",
           "telephony.directory_listing", "telephony.phone_user"}

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


def test_traffic_data_6_months_after_the_call(company: dict[str, Any]) -> None:
    url = company["url"]
    calls = rows(url, "SELECT c.started_at FROM call_record c JOIN phone_user u ON u.id = c.phone_user_id "
                      "WHERE u.email = 'jens@tomrer-hansen.example'")
    assert calls and all(r.started_at > datetime(2024, 12, 15, 12) for r in calls)
    before = [c for c in company["snapshot"]["call_record"] if c.started_at <= datetime(2024, 12, 15, 12)]
    assert before  # there were older calls
    every = rows(url, "SELECT started_at FROM call_record")
    assert all(r.started_at > datetime(2024, 12, 15, 12) for r in every)


def test_unlisted_numbers_leave_the_directory_at_once(company: dict[str, Any]) -> None:
    assert any(r.unlisted for r in company["snapshot"]["directory_listing"])
    assert not rows(company["url"], "SELECT id FROM directory_listing WHERE unlisted = 1")


def test_users_3_years_after_the_relationship_and_support_1_year(company: dict[str, Any]) -> None:
    url = company["url"]
    assert not rows(url, "SELECT id FROM phone_user WHERE email = 'bent@poulsen-vvs.example'")
    tickets = rows(url, "SELECT closed_at FROM support_ticket")
    assert all(r.closed_at is None or r.closed_at > N - timedelta(days=365) for r in tickets)


def test_invoices_5_years_after_the_end_of_the_year(company: dict[str, Any]) -> None:
    dates = [r.invoice_date for r in rows(company["url"], "SELECT invoice_date FROM invoice")]
    assert dates and min(dates) >= date(2020, 1, 1)


def test_newsletter_until_consent_withdrawn(company: dict[str, Any]) -> None:
    emails = {r.email for r in rows(company["url"], "SELECT email FROM newsletter_subscriber")}
    assert "thomas.holm@design-hansen.example" not in emails
    assert len(emails) == len(company["snapshot"]["newsletter_subscriber"]) - 1
