"""Settling the batch journal after a crash: each pending batch either happened or did not.

The company transaction of a batch is atomic, so its rows are either all erased or none:
rows gone (delete) or all anonymised (anonymise) means it committed — the batch is closed
as done, counted in its run and audited now (with `recovered: true`); otherwise it is void
and its rows are simply found again as expired.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from persondata.audit.service import record
from persondata.retention import repository
from persondata.retention.models import RetentionBatch
from persondata.retention.query import Subjectivity, TableQuery

if TYPE_CHECKING:
    from persondata.retention.planner import Engine


def _committed(engine: Engine, batch: RetentionBatch, as_of: datetime) -> bool | None:
    """True: the batch's company transaction committed; False: it did not; None: cannot tell."""
    rules = next((r for r in engine.rules
                  if (r.ref.system, r.ref.table) == (batch.system, batch.table)), None)
    if rules is None or (not batch.keys and batch.key_hi is None):
        return None
    connector = engine.systems.get(batch.system)
    query = TableQuery(connector, rules)
    if batch.key_hi is not None:  # a range batch: did the rows of the range that had expired go?
        gone, _ = query.expired(as_of, Subjectivity(consent=False, opt_outs=False, holds=False))
        if gone is None:
            return None
        rng = sa.and_(gone, query.pk <= batch.key_hi)
        where: sa.ColumnElement[bool] = rng if batch.key_lo is None else sa.and_(rng, query.pk > batch.key_lo)
    else:
        where = query.pk.in_(list(batch.keys or []))
    if batch.action == "anonymise":
        erased = query.erased()
        if erased is None:
            return None
        where = sa.and_(where, sa.not_(erased))
    with connector.connection() as conn:
        left = conn.execute(sa.select(sa.func.count()).select_from(query.table).where(where)).scalar_one()
    return int(left) == 0


def settle_pending(engine: Engine, actor: str, clock: Callable[[], datetime]) -> tuple[int, set[str]]:
    """Close every pending batch; returns (batches found done, vault key ids they touched)."""
    with engine.state.transaction() as s:
        pending = repository.pending_batches(s)
        runs_as_of = {b.run_id: r.as_of for b in pending if (r := repository.get_run(s, b.run_id))}
    done = 0
    key_ids: set[str] = set()
    for batch in pending:
        committed = _committed(engine, batch, runs_as_of.get(batch.run_id, engine.as_of))
        now = clock()
        with engine.state.transaction() as s:
            if not committed:
                repository.close_batch(s, batch.id, "void", now)
                continue
            repository.close_batch(s, batch.id, "done", now)
            repository.bump_item(s, batch.run_id, batch.system, batch.table, batch.rule, batch.action,
                                 batch.rows, 1)
            record(s, actor=actor, action=f"retention.{batch.action}", target=f"{batch.system}.{batch.table}",
                   details={"run": batch.run_id, "batch": batch.id, "rule": batch.rule, "rows": batch.rows,
                            "recovered": True}, at=now)
        done += 1
        key_ids |= set(batch.key_ids or [])
    return done, key_ids
