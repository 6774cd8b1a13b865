"""`retention run`: erase what has expired, batch by batch, crash-safe, audited, holds respected.

Per batch (at most `batch_size` rows; halved when a company transaction takes longer than
0.8 s, grown back when they are quick, so that no lock is held much longer than a second):

1. journal: the batch (its row keys) is written to persondata's state as `pending`;
2. the company transaction deletes or anonymises the rows and commits;
3. the journal entry is closed, the run's counts bumped and ONE audit entry appended.

A crash between 2 and 3 leaves a pending batch; the next run settles it first (the rows are
gone or anonymised: done, audited then; still there: void) and then simply finishes the
work, since expired rows are found again. Children are erased before their parents; a
parent still owning rows is anonymised, then deleted when its last child is gone.
Encrypted fields: the vault keys of erased ciphertexts that no row references any more are
destroyed (crypto-shredding), so copies in backups become unreadable too.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from persondata.audit.service import record
from persondata.connectors.graph import TableRef
from persondata.connectors.sql import SqlSession
from persondata.connectors.strategies import Counts, apply_rows, plan_rows
from persondata.db.base import utcnow
from persondata.errors import ConflictError, SystemFailure
from persondata.retention import repository
from persondata.retention.expiry import instant
from persondata.retention.keys import collect_key_ids, shred_unreferenced
from persondata.retention.models import RetentionBatch, RetentionRun
from persondata.retention.planner import DEFERRED, Engine, Plan, plan
from persondata.retention.query import delete_keys
from persondata.retention.scan import Group, Range, TableScan
from persondata.retention.settle import settle_pending

SLOW_SECONDS = 0.8  # a company transaction this long halves the batch (locks held about a second at most)
FAST_SECONDS = 0.2  # this short grows it back towards the size asked for
MIN_BATCH = 100
STALE_AFTER = timedelta(minutes=15)


class Progress(Protocol):
    """Receives progress: a table starts with the rows planned for it, batches advance it."""

    def start(self, label: str, total: int) -> None:
        """A table starts."""

    def advance(self, rows: int) -> None:
        """Rows were handled."""


class _Quiet:
    def start(self, label: str, total: int) -> None:
        pass

    def advance(self, rows: int) -> None:
        pass


@dataclass
class RunReport:
    """What a run did."""

    run_id: int
    status: str
    as_of: datetime
    totals: dict[str, int] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)
    settled: int = 0
    longest_transaction: float = 0.0
    shredded_keys: int = 0
    warnings: list[str] = field(default_factory=list)


def owner_id() -> str:
    """host:pid of this process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(owner: str, heartbeat: datetime, now: datetime) -> bool:
    host, _, pid = owner.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return now - heartbeat < STALE_AFTER


class Runner:
    """One retention run over every system of the policy."""

    def __init__(self, engine: Engine, *, batch_size: int = 5000, actor: str = "retention",
                 clock: Callable[[], datetime] = utcnow, progress: Progress | None = None,
                 crash_at: str | None = None) -> None:
        if batch_size < 1:
            raise ValueError("batch size must be at least 1")
        self.engine = engine
        self.batch_size = batch_size
        self.max_batch = batch_size
        self.actor = actor
        self.clock = clock
        self.progress = progress or _Quiet()
        self._crash_point, _, n = (crash_at or "").partition(":")
        self._crash_n = int(n) if n.isdigit() else 1
        self._batches = 0
        self.report: RunReport | None = None
        self._key_ids: set[str] = set()

    def _maybe_crash(self, point: str) -> None:
        """Test hook: kill this process at a deterministic point (PERSONDATA_RETENTION_CRASH)."""
        if point == self._crash_point and self._batches == self._crash_n:
            os.kill(os.getpid(), signal.SIGKILL)

    def _claim(self) -> RetentionRun:
        now = self.clock()
        with self.engine.state.transaction() as s:
            for other in repository.running(s):
                if _alive(other.owner, other.heartbeat_at, now):
                    raise ConflictError(f"retention run {other.id} is in progress ({other.owner}, since "
                                        f"{other.started_at:%Y-%m-%d %H:%M} UTC)")
                other.status = "interrupted"
                other.finished_at = now
            run = repository.add_run(s, RetentionRun(
                started_at=now, as_of=self.engine.as_of, status="running", actor=self.actor,
                owner=owner_id(), heartbeat_at=now, batch_size=self.batch_size, totals={}))
            record(s, actor=self.actor, action="retention.run.start", target=f"run:{run.id}",
                   details={"as_of": self.engine.as_of.isoformat(), "batch_size": self.batch_size}, at=now)
        return run

    def run(self) -> RunReport:
        """Settle what a crash left, then erase everything that has expired."""
        settled, self._key_ids = settle_pending(self.engine, self.actor, self.clock)
        run = self._claim()
        report = RunReport(run.id, "running", self.engine.as_of, settled=settled)
        self.report = report
        try:
            forecast = plan(self.engine)
            report.warnings = forecast.warnings
            self._execute(run, forecast, report)
            report.shredded_keys = shred_unreferenced(self.engine, self._key_ids, self.actor, self.clock())
            report.status = "completed"
        except BaseException as exc:
            report.status = "failed"
            self._finish(run, report, error=f"{type(exc).__name__}: {exc}")
            raise
        self._finish(run, report)
        return report

    def _execute(self, run: RetentionRun, forecast: Plan, report: RunReport) -> None:
        self._deferred(run)
        for rules in self.engine.tables():
            hold = self.engine.table_hold(rules)
            planned = sum(ln.rows for ln in forecast.lines if ln.action != "kept"
                          and (ln.system, ln.table) == (rules.ref.system, rules.ref.table))
            if hold is not None:
                with self.engine.state.transaction() as s:
                    for ln in forecast.lines:
                        if (ln.system, ln.table) == (rules.ref.system, rules.ref.table) and ln.rows \
                                and ln.action != "kept":
                            repository.bump_item(s, run.id, ln.system, ln.table, ln.reason, "held",
                                                 ln.rows, 0)
                continue
            scan = self.engine.scan(rules)
            scan.batch_size = self.batch_size
            self.progress.start(str(rules.ref), planned)
            _, exact = scan.clause(self.engine.as_of)
            if scan.fast(exact):
                oldest = min((instant(ln.oldest) for ln in forecast.lines if ln.oldest is not None
                              and (ln.system, ln.table) == (rules.ref.system, rules.ref.table)), default=None)
                for rng in scan.ranges(self.engine.as_of):
                    self._range(run, scan, rng, report, oldest)
                    self.progress.advance(rng.rows)
                    scan.batch_size = self.batch_size
                continue
            for groups in scan.pages(self.engine.as_of):
                self._page(run, scan, groups, report)
                scan.batch_size = self.batch_size

    def _page(self, run: RetentionRun, scan: TableScan, groups: list[Group], report: RunReport) -> None:
        for g in groups:
            if g.action == "held":
                with self.engine.state.transaction() as s:
                    repository.bump_item(s, run.id, scan.rules.ref.system, scan.rules.ref.table,
                                         g.reason, "held", len(g.rows), 0)
                self.progress.advance(len(g.rows))
                continue
            self._batch(run, scan, g, report)
            self.progress.advance(len(g.rows))

    def _batch(self, run: RetentionRun, scan: TableScan, g: Group, report: RunReport) -> None:
        ref = scan.rules.ref
        keys = [r[scan.pk] for r in g.rows]
        key_ids = collect_key_ids(scan.rules, g.rows)
        now = self.clock()
        with self.engine.state.transaction() as s:
            batch = repository.add_batch(s, RetentionBatch(
                run_id=run.id, system=ref.system, table=ref.table, rule=g.reason[:500], action=g.action,
                keys=keys, key_ids=sorted(key_ids) or None, rows=len(keys), status="pending",
                created_at=now))
        self._batches += 1
        self._maybe_crash("journal")
        columns = scan.connector.columns(ref.table)
        keep = keys if g.action == "anonymise" else []
        row_plan = plan_rows(scan.rules.erasure, columns, g.rows, self.engine.hasher, keep=keep)
        started = time.monotonic()
        with scan.connector.connection(write=True) as conn:
            if row_plan.updates or row_plan.unchanged:
                counts = apply_rows(SqlSession(scan.connector, conn), ref.table, row_plan)
            else:  # only deletions: one statement for the batch
                counts = Counts(deleted=delete_keys(conn, scan.query.table, scan.query.pk, row_plan.deletes))
            self._maybe_crash("company")
        self._took(time.monotonic() - started, report)
        self._maybe_crash("committed")
        self._close(run, batch.id, ref, g.reason, g.action, counts, g.subject, _oldest(scan, g))
        self._key_ids |= key_ids
        self._maybe_crash("batch")

    def _range(self, run: RetentionRun, scan: TableScan, rng: Range, report: RunReport,
               oldest: datetime | None) -> None:
        """Delete one key range of expired rows (journaled as the range, not the keys)."""
        ref = scan.rules.ref
        with self.engine.state.transaction() as s:
            batch = repository.add_batch(s, RetentionBatch(
                run_id=run.id, system=ref.system, table=ref.table, rule=scan.rules.rule_text()[:500],
                action="delete", key_lo=rng.lo, key_hi=rng.hi, rows=rng.rows, status="pending",
                created_at=self.clock()))
        self._batches += 1
        self._maybe_crash("journal")
        started = time.monotonic()
        with scan.connector.connection(write=True) as conn:
            stmt = sa.delete(scan.query.table).where(rng.clause(scan.query.pk))
            deleted = int(conn.execute(stmt).rowcount or 0)
            self._maybe_crash("company")
        self._took(time.monotonic() - started, report)
        self._maybe_crash("committed")
        self._close(run, batch.id, ref, scan.rules.rule_text(), "delete", Counts(deleted=deleted), None,
                    oldest)
        self._maybe_crash("batch")

    def _took(self, seconds: float, report: RunReport) -> None:
        """Adapt the batch size to how long the company transaction held its locks."""
        report.longest_transaction = max(report.longest_transaction, seconds)
        if seconds > SLOW_SECONDS and self.batch_size > MIN_BATCH:
            self.batch_size = max(MIN_BATCH, self.batch_size // 2)
        elif seconds < FAST_SECONDS and self.batch_size < self.max_batch:
            self.batch_size = min(self.max_batch, self.batch_size * 2)

    def _close(self, run: RetentionRun, batch_id: int, ref: TableRef, rule: str, action: str, counts: Counts,
               subject: str | None, oldest: datetime | None) -> None:
        with self.engine.state.transaction() as s:
            done_at = self.clock()
            repository.close_batch(s, batch_id, "done", done_at)
            rows = counts.deleted + counts.anonymised
            repository.bump_item(s, run.id, ref.system, ref.table, rule, action, rows, 1, oldest)
            run_row = repository.get_run(s, run.id)
            if run_row is not None:
                run_row.heartbeat_at = done_at
            record(s, actor=self.actor, action=f"retention.{action}", subject=subject,
                   target=f"{ref.system}.{ref.table}",
                   details={"run": run.id, "batch": batch_id, "rule": rule, "rows": rows,
                            "deleted": counts.deleted, "anonymised": counts.anonymised,
                            "unchanged": counts.unchanged}, at=done_at)

    def _deferred(self, run: RetentionRun) -> None:
        """Deferred erasures whose legal hold has ended (persondata.dsr carries them out)."""
        from persondata.dsr.deferred import carry_out_deferred

        engine = self.engine
        with engine.state.transaction() as s:
            held = [d for d in dsr_due(s, engine) if engine.deferred_held(s, d)]
            result = carry_out_deferred(s, engine.policy, hasher=engine.hasher, actor=self.actor,
                                        now=engine.as_of, systems=engine.systems,
                                        exclude=lambda d: engine.deferred_held(s, d) is not None)
            for action, rows in (("delete", result.deleted), ("anonymise", result.anonymised),
                                 ("held", result.still_held + len(held))):
                if rows:
                    repository.bump_item(s, run.id, "*", "*", DEFERRED, action, rows)
            if result.failed:
                raise SystemFailure("deferred erasures failed: " + "; ".join(
                    f"{k}: {v}" for k, v in sorted(result.failed.items())))

    def _finish(self, run: RetentionRun, report: RunReport, error: str | None = None) -> None:
        now = self.clock()
        with self.engine.state.transaction() as s:
            row = repository.get_run(s, run.id)
            assert row is not None
            items = repository.items(s, run.id)
            totals: dict[str, int] = {}
            for it in items:
                totals[it.action] = totals.get(it.action, 0) + it.rows
            totals["settled"] = report.settled
            totals["shredded_keys"] = report.shredded_keys
            report.totals = totals
            report.items = [{"system": it.system, "table": it.table, "rule": it.rule, "action": it.action,
                             "rows": it.rows, "batches": it.batches, "oldest": it.oldest} for it in items]
            row.status = report.status
            row.finished_at = now
            row.totals = {**totals, "longest_transaction_s": round(report.longest_transaction, 3)}
            row.error = error
            record(s, actor=self.actor, action="retention.run.finish", target=f"run:{run.id}",
                   details={"status": report.status, "totals": totals}, at=now)


def _oldest(scan: TableScan, g: Group) -> datetime | None:
    ref = scan.query.oldest_anchor()
    name = next((n for n, r in scan.rules.anchors.items() if r == ref), None)
    if name is None:
        return None
    values = [r.get(f"__a_{name}") for r in g.rows]
    found = [instant(v) for v in values if v is not None]
    return min(found) if found else None


def dsr_due(session: Session, engine: Engine) -> list[Any]:
    """Deferred erasures due at the engine's as_of."""
    from persondata.dsr import repository as dsr_repository

    return dsr_repository.due_deferred(session, engine.as_of.date())
