"""Fixtures: the test company on SQLite, PostgreSQL and MariaDB; state on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from persondata.connectors.sql import Systems
from persondata.db.engine import Database
from persondata.db.migrate import upgrade
from persondata.policy.model import Policy
from persondata.settings import Settings, load_settings

from . import company


@dataclass
class World:
    """A company database, its policy, persondata's state and settings."""

    url: str
    engine: sa.Engine
    policy: Policy
    state: Database
    settings: Settings
    systems: Systems


@pytest.fixture
def state(sqlite_url: str) -> Iterator[Database]:
    """A migrated SQLite state database."""
    db = Database(sqlite_url.replace("test.db", "state.db"))
    upgrade(db)
    yield db
    db.dispose()


@pytest.fixture
def world(company_url: str, state: Database) -> Iterator[World]:
    """The test company built on each engine."""
    engine = company.build(company_url)
    pol = company.policy(company_url)
    with Systems(pol) as systems:
        yield World(company_url, engine, pol, state, load_settings(), systems)
    engine.dispose()
