"""Hot statements (persondata.db.hot) store and read exactly what SQLAlchemy would, in the session's
transaction, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import bindparam, insert, select

from persondata.audit.models import AuditEntry
from persondata.db.engine import Database
from persondata.db.hot import HotStatement
from persondata.db.migrate import upgrade

T = AuditEntry.__table__
AT = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)


def _row(i: int, at: datetime) -> dict[str, object]:
    return {"id": i, "at": at, "actor": "dpo", "action": "test", "subject": None, "target": f"t{i}",
            "details": "{}", "prev_hash": "0" * 64, "hash": f"{i:064d}"}


def test_insert_and_read_back_match_sqlalchemy(state_url: str) -> None:
    db = Database(state_url)
    upgrade(db)
    try:
        with db.transaction() as s:
            HotStatement(insert(T)).execute(s, [_row(1, AT), _row(2, AT + timedelta(days=1))])
            s.connection().execute(insert(T), _row(3, AT + timedelta(days=2)))  # through SQLAlchemy
        newest = HotStatement(select(T.c.id, T.c.at, T.c.target).where(T.c.at > bindparam("after"))
                              .order_by(T.c.id.desc()).limit(2))
        with db.transaction() as s:
            rows = newest.rows(s, {"after": AT})
            stored = {e.id: e.at for e in s.scalars(select(AuditEntry))}
        assert [(r.id, r.target) for r in rows] == [(3, "t3"), (2, "t2")]  # the LIMIT it carries
        assert rows[0].at == AT + timedelta(days=2) and rows[0].at.tzinfo is not None
        assert stored[1] == AT and stored[2] == AT + timedelta(days=1)  # SQLAlchemy reads ours back
    finally:
        db.dispose()


def test_runs_in_the_sessions_transaction(state_url: str) -> None:
    db = Database(state_url)
    upgrade(db)
    count = HotStatement(select(T.c.id))
    try:
        with pytest.raises(RuntimeError), db.transaction() as s:
            HotStatement(insert(T)).execute(s, [_row(1, AT)])
            assert len(count.rows(s, {})) == 1
            raise RuntimeError("the block fails")
        with db.transaction() as s:
            assert count.rows(s, {}) == []  # rolled back with the session
    finally:
        db.dispose()
