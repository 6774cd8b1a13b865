"""The DSR state models agree with their migration; the repository works on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from persondata.db.base import Base
from persondata.db.engine import Database
from persondata.db.migrate import upgrade
from persondata.dsr import repository
from persondata.dsr.models import DeferredErasure, Restriction

AT = datetime(2025, 6, 1, 12, tzinfo=UTC)


def test_models_match_migration(state_url: str) -> None:
    db = Database(state_url)
    try:
        upgrade(db)
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert [d for d in diff if "dsr_" in repr(d)] == []
        with db.transaction() as s:
            repository.add_restrictions(s, [
                Restriction(group_id="g", identity_hash=h, kind="email", scope="subject", actor="t",
                            created_at=AT) for h in ("a" * 64, "b" * 64)])
            new, updated = repository.upsert_deferred(s, [DeferredErasure(
                group_id="g", subject_hash="a" * 64, system="shop", table_name="invoice", row_key="40",
                due_on=date(2030, 1, 1), created_at=AT)])
            assert (new, updated) == (1, 0)
        with db.transaction() as s:
            assert repository.restricted_hashes(s) == {"a" * 64, "b" * 64}
            assert repository.restricted_among(s, ["b" * 64, "c" * 64]) == {"b" * 64}
            assert repository.lift_restrictions(s, ["a" * 64], scope="subject", at=AT, by="t") == 1
            assert [d.row_key for d in repository.due_deferred(s, date(2030, 1, 1))] == ["40"]
            assert repository.due_deferred(s, date(2029, 12, 31)) == []
            assert repository.key_value("40") == 40
        with db.transaction() as s:
            assert repository.restricted_hashes(s) == {"b" * 64}
    finally:
        db.dispose()
