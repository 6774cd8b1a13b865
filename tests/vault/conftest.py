"""Vault fixtures: a migrated state database and settings with the test master key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from persondata.db.engine import Database
from persondata.db.migrate import upgrade
from persondata.settings import Settings, load_settings


@pytest.fixture
def settings() -> Settings:
    """Settings from the test environment (fixed keys)."""
    return load_settings()


@pytest.fixture
def state(sqlite_url: str) -> Iterator[Database]:
    """A migrated SQLite state database."""
    db = Database(sqlite_url)
    upgrade(db)
    yield db
    db.dispose()
