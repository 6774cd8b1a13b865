"""The shared part of the example companies' retention scenarios (`test_retention_<name>.py`).

A scenario module sets EXAMPLE (the example's name), WITHDRAWN ((e-mail, purpose) pairs whose
consent was withdrawn the day before), SNAPSHOT (tables read before the run) and OVERDUE (the
`system.table`s holding expired rows before the run). The module-scoped `company` fixture in
conftest.py builds that company with `build_and_run`; the module imports the two tests below,
which pytest then collects there, and adds its own company-specific assertions.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType, SimpleNamespace
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

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
"""The fixed 'now' the scenario databases are built against and retention runs at."""
N = NOW.replace(tzinfo=None)  # the company database stores naive UTC
HASH_KEY = "example-hash-key"


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


def build_and_run(tmp: Path, scenario: ModuleType) -> dict[str, Any]:
    """The scenario's company built at NOW (20 customers), consent withdrawals recorded, then `retention run`.

    The caller disposes of the returned "state" database.
    """
    example: str = scenario.EXAMPLE
    policy = load_policy(examples.policy_path(example), env={}).policy
    settings = load_settings(hash_key=HASH_KEY, database_url=f"sqlite:///{tmp / 'state.db'}")
    state = Database(settings.state_url)
    upgrade(state)
    url = f"sqlite:///{tmp / 'company.db'}"
    env = examples.env_for(example, url)
    examples.build(example, url, customers=20, seed=1, now=NOW)
    hasher = Hasher(HASH_KEY)
    with state.transaction() as s:
        for email, purpose in scenario.WITHDRAWN:
            consent.withdraw(s, policy, hasher, make_identity("email", email), purpose,
                             source=Source.unsubscribe_link, actor="test", at=NOW - timedelta(days=1))
    before = overdue(policy, NOW, env=env, hasher=hasher)
    snapshot = {t: rows(url, f"SELECT * FROM {t}") for t in scenario.SNAPSHOT}
    report = service.run(policy, settings, state, as_of=NOW, env=env)
    return {"url": url, "env": env, "policy": policy, "settings": settings, "state": state,
            "hasher": hasher, "before": before, "snapshot": snapshot, "report": report}


def test_every_time_rule_is_kept(company: dict[str, Any], request: pytest.FixtureRequest) -> None:
    """Before the run these tables hold expired rows; after it, no expired row holds personal data
    (checked row by row in Python, independently of the SQL that did the work)."""
    assert set(company["before"]) == request.module.OVERDUE
    assert company["report"].status == "completed"
    assert overdue(company["policy"], NOW, env=company["env"], hasher=company["hasher"]) == {}


def test_a_second_run_finds_nothing(company: dict[str, Any]) -> None:
    again = service.forecast(company["policy"], company["settings"], company["state"], as_of=NOW,
                             env=company["env"])
    assert again.totals()["delete"] == again.totals()["anonymise"] == 0
