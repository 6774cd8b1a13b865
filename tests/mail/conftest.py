"""Fixtures for mail: a migrated state database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from persondata.db.engine import Database
from persondata.db.migrate import upgrade


@pytest.fixture
def state_db(state_url: str) -> Iterator[Database]:
    """The state database (SQLite and PostgreSQL), migrated."""
    db = Database(state_url)
    upgrade(db)
    yield db
    db.dispose()
