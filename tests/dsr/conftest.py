"""Fixtures for the DSR engine: the webshop on SQLite, a migrated state database, the hasher
(the webshop on every engine, `shop`, is in tests/conftest.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from persondata.db.engine import Database
from persondata.db.migrate import upgrade
from persondata.identity import Hasher
from persondata.testing.webshop import Shop, build


@pytest.fixture
def sqlite_shop(tmp_path: Path) -> Shop:
    """The webshop on SQLite only (for tests about the engine's logic, not the database)."""
    return build(f"sqlite:///{tmp_path / 'shop.db'}", tmp_path)


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Database]:
    """persondata's own state on SQLite, migrated."""
    db = Database(f"sqlite:///{tmp_path / 'state.db'}")
    upgrade(db)
    yield db
    db.dispose()


@pytest.fixture
def hasher() -> Hasher:
    """The keyed identity hasher with the test key."""
    return Hasher(os.environ["PERSONDATA_HASH_KEY"])
