"""Fixtures for jobs: the test company, state databases, an SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from jobs_company import Company, build_company

from persondata.db.engine import Database
from persondata.db.migrate import upgrade
from persondata.mail.testing import SmtpTestServer


@pytest.fixture
def company(tmp_path: Path) -> Company:
    """A company with three systems."""
    return build_company(tmp_path / "company")


@pytest.fixture
def state_db(state_url: str) -> Iterator[Database]:
    """The state database (SQLite and PostgreSQL), migrated."""
    db = Database(state_url)
    upgrade(db)
    yield db
    db.dispose()


@pytest.fixture
def smtp() -> Iterator[SmtpTestServer]:
    """A real SMTP server in this process."""
    with SmtpTestServer() as server:
        yield server


@pytest.fixture
def sqlite_db(sqlite_url: str) -> Iterator[Database]:
    """SQLite state only (for tests whose subject is not the state database)."""
    db = Database(sqlite_url)
    upgrade(db)
    yield db
    db.dispose()
