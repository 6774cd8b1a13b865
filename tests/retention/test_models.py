"""The retention models agree with their migration on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from persondata.db.base import Base
from persondata.db.engine import Database
from persondata.db.migrate import upgrade


def test_models_match_migration(state_url: str) -> None:
    db = Database(state_url)
    try:
        upgrade(db)
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        ours = [d for d in diff if "retention_" in repr(d)]
        assert ours == []
    finally:
        db.dispose()
