"""Concurrent writers: 8 processes x 2,000 consent events over shared identities.

No event is lost, the state equals the replayed ledger, and the audit chain verifies,
on SQLite (BEGIN IMMEDIATE) and on PostgreSQL (advisory lock on the chain).
"""

from __future__ import annotations

import multiprocessing
import random

import pytest
from sqlalchemy import func, select

from persondata.audit import service as audit
from persondata.audit.models import AuditEntry
from persondata.consent import service
from persondata.consent.models import ConsentEvent
from persondata.consent.schemas import Action, Change, Source
from persondata.db.engine import Database
from persondata.identity import Hasher

from .conftest import HASH_KEY, load_fixture_policy

PROCESSES = 8
EVENTS = 2_000
PURPOSES = ("newsletter", "profiling", "cookies.statistics")


def writer(url: str, seed: int, events: int) -> int:
    """One process: its own Database, transactions of 1 to 40 random consent changes."""
    policy = load_fixture_policy()
    hasher = Hasher(HASH_KEY)
    people = [service.parse(policy, f"email=person{i}@example.dk") for i in range(40)]
    rng = random.Random(seed)
    db = Database(url)
    written = 0
    try:
        while written < events:
            n = min(rng.choice((1, 2, 5, 10, 20, 40)), events - written)
            changes = [Change(identity=rng.choice(people), purpose=rng.choice(PURPOSES),
                              action=rng.choice((Action.given, Action.withdrawn)),
                              source=rng.choice((Source.web_form, Source.api, Source.cookie_banner)))
                       for _ in range(n)]
            with db.transaction() as session:
                service.record_changes(session, policy, hasher, changes, actor=f"worker-{seed}")
            written += n
    finally:
        db.dispose()
    return written


@pytest.mark.slow
def test_concurrent_writers_lose_nothing(db: Database) -> None:
    if db.engine.dialect.name == "postgresql":  # durability is not under test; commit latency is
        with db.engine.connect() as conn:
            name = conn.exec_driver_sql("SELECT current_database()").scalar_one()
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
            conn.commit()
        db.engine.dispose()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(PROCESSES) as pool:
        results = [pool.apply_async(writer, (db.url, seed, EVENTS)) for seed in range(PROCESSES)]
        written = [r.get(timeout=600) for r in results]
    assert written == [EVENTS] * PROCESSES
    total = PROCESSES * EVENTS
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ConsentEvent)) == total
        assert s.scalar(select(func.count(func.distinct(ConsentEvent.id)))) == total
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == total
        assert service.state_mismatches(s) == []
        assert len(service.stored_state(s)) == 40 * len(PURPOSES)
        result = audit.verify(s)
    assert result.ok and result.checked == total, result.broken
