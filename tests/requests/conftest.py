"""Fixtures for the request workflow: a Danish policy, a migrated state database, a context factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from persondata.db.engine import Database
from persondata.db.migrate import upgrade
from persondata.identity import Hasher
from persondata.policy.model import Policy
from persondata.requests.service import Ctx

POLICY_YAML = """
version: 1
controller:
  name: Nordlys Tele A/S
  country: DK
  email: privacy@nordlys.example
  languages: [da, en]
recipients:
  sms_partner: {name: Example SMS AB, role: processor, country: SE}
  bureau: {name: Debitor Registret, role: controller, country: DK}
rights:
  verification: {erasure: email_code, access: email_code, objection: manual}
"""


def make_policy(text: str = POLICY_YAML, **rights: Any) -> Policy:
    """A policy from YAML, with rights settings overridden."""
    data = yaml.safe_load(text)
    data.setdefault("rights", {}).update(rights)
    return Policy.model_validate(data)


@pytest.fixture
def policy() -> Policy:
    """The Danish test controller."""
    return make_policy()


@pytest.fixture
def state_db(state_url: str) -> Iterator[Database]:
    """The state database (SQLite and PostgreSQL), migrated."""
    db = Database(state_url)
    upgrade(db)
    yield db
    db.dispose()


CtxFactory = Callable[..., Ctx]


@pytest.fixture
def make_ctx(policy: Policy) -> CtxFactory:
    """Build a Ctx at a given time (default 2027-03-01 10:00 UTC)."""

    def factory(now: datetime | None = None, pol: Policy | None = None, actor: str = "dpo") -> Ctx:
        return Ctx(policy=pol or policy, hasher=Hasher("test-hash-key"), secret_key="test-secret",
                   actor=actor, now=now or datetime(2027, 3, 1, 10, 0, tzinfo=UTC))

    return factory
