"""`retention plan`: what has expired at a moment (now, or a forecast), per table and rule.

The engine opens each table's scan; exact tables (only time rules and flags) are counted
with one GROUP BY query; tables where consent, opt-outs or subject holds decide are paged
through and judged row by row in Python, in batches, without changing anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from persondata.connectors.graph import DataMap, TableRef
from persondata.connectors.sql import Systems
from persondata.db.engine import Database
from persondata.identity import Hasher
from persondata.policy.model import Policy
from persondata.retention import repository
from persondata.retention.expiry import instant
from persondata.retention.models import RetentionHold
from persondata.retention.query import Subjectivity, TableQuery
from persondata.retention.scan import TableScan
from persondata.retention.spec import TableRules, all_rules
from persondata.retention.subjects import HoldSet, SubjectLens
from persondata.settings import Settings

DEFERRED = "deferred erasure due"


@dataclass
class PlanLine:
    """Rows of one table that retention acts on for one reason."""

    system: str
    table: str
    reason: str
    action: str  # delete | anonymise | held
    rows: int
    oldest: date | datetime | None = None  # the earliest anchor value among them
    anchor: str | None = None
    hold: str | None = None

    def add(self, rows: int, oldest: Any) -> None:
        """Count more rows, keeping the oldest anchor value."""
        self.rows += rows
        if isinstance(oldest, datetime):
            oldest = instant(oldest)
        if oldest is not None and (self.oldest is None or instant(oldest) < instant(self.oldest)):
            self.oldest = oldest


@dataclass
class Plan:
    """What retention would do at as_of."""

    as_of: datetime
    lines: list[PlanLine] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def line(self, ref: TableRef, reason: str, action: str, anchor: str | None,
             hold: RetentionHold | None = None) -> PlanLine:
        """The line for (table, reason, action, hold), created on first use."""
        label = f"#{hold.id}: {hold.reason}" if hold is not None else None
        for ln in self.lines:
            if (ln.system, ln.table, ln.reason, ln.action, ln.hold) == (ref.system, ref.table, reason,
                                                                        action, label):
                return ln
        ln = PlanLine(ref.system, ref.table, reason, action, 0, anchor=anchor, hold=label)
        self.lines.append(ln)
        return ln

    def totals(self) -> dict[str, int]:
        """Rows per action."""
        out = {"delete": 0, "anonymise": 0, "held": 0, "kept": 0}
        for ln in self.lines:
            out[ln.action] = out.get(ln.action, 0) + ln.rows
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"as_of": self.as_of, "totals": self.totals(),
                "tables": [asdict(ln) for ln in self.lines if ln.rows], "warnings": self.warnings}


class Engine:
    """Everything a plan or run needs: policy, state, the systems, holds in force, the lens."""

    def __init__(self, policy: Policy, settings: Settings, state: Database, systems: Systems,
                 as_of: datetime) -> None:
        self.policy = policy
        self.settings = settings
        self.state = state
        self.systems = systems
        self.as_of = instant(as_of)
        self.hasher = Hasher(settings.hash_key)
        self.datamap = DataMap(policy)
        self.rules = all_rules(policy, self.datamap)
        with state.transaction() as s:
            self.holds = HoldSet.of(repository.holds(s, active_at=self.as_of))
            self.any_opt_out = repository.any_opt_out(s)
        self.lens = SubjectLens(state, self.hasher, policy.controller.country, self.holds,
                                self.any_opt_out)

    def scan(self, rules: TableRules) -> TableScan:
        """The scan of one table."""
        connector = self.systems.get(rules.ref.system)
        subj = Subjectivity(consent=rules.has_consent, opt_outs=self.any_opt_out and rules.opt_out_declared,
                            holds=bool(self.holds.subjects))
        return TableScan(connector, rules, TableQuery(connector, rules), self.lens, subj)

    def table_hold(self, rules: TableRules) -> RetentionHold | None:
        """A hold on the whole table or its system."""
        return self.holds.on_table(rules.ref.system, rules.ref.table)

    def deferred_due(self) -> list[tuple[Any, RetentionHold | None]]:
        """Deferred erasures (persondata.dsr) due at as_of, each with the DPO hold that keeps it."""
        from persondata.dsr import repository as dsr_repository

        with self.state.transaction() as s:
            due = dsr_repository.due_deferred(s, self.as_of.date())
            return [(d, self.deferred_held(s, d)) for d in due]

    def deferred_held(self, session: Any, record: Any) -> RetentionHold | None:
        """A DPO hold on a deferred erasure's table, system or subject (any of its identities)."""
        hold = self.holds.on_table(record.system, record.table_name)
        if hold is not None or not self.holds.subjects:
            return hold
        hashes = [record.subject_hash, *repository.group_identity_hashes(session, record.group_id)]
        return self.holds.on_subjects(hashes)

    def tables(self) -> Iterator[TableRules]:
        """Tables in erasing order (children first), per system."""
        yield from self.rules


def _count_exact(scan: TableScan, plan: Plan, where: sa.ColumnElement[bool],
                 action_hold: RetentionHold | None) -> None:
    q = scan.query
    rules = scan.rules
    timed = [q.time_expired(t, plan.as_of) for t in rules.terms]
    parts = [t for t in timed if t is not None]
    time_only = sa.and_(*parts) if parts and len(parts) == len(timed) else sa.false()
    children = scan.children()
    oldest_ref = q.oldest_anchor()
    anchor_name = next((n for n, r in rules.anchors.items() if r == oldest_ref), None)
    oldest = sa.func.min(q.column(oldest_ref)) if oldest_ref is not None else sa.literal(None)
    if rules.opt_out is None and children is None:  # one kind of row: a plain aggregate
        stmt = sa.select(sa.literal(1), sa.literal(0), sa.func.count(), oldest).select_from(q._from) \
            .where(where)
    else:
        by_time = sa.case((time_only, 1), else_=0).label("by_time")
        blocked = sa.case((children, 1), else_=0).label("blocked") if children is not None else sa.literal(0)
        groups = [by_time] if children is None else [by_time, blocked]
        stmt = sa.select(by_time, blocked, sa.func.count(), oldest).select_from(q._from).where(where) \
            .group_by(*groups)
    with scan.connector.connection() as conn:
        rows = conn.execute(stmt).all()
    for t, b, n, first in rows:
        if not n:
            continue
        reason = rules.rule_text() if t else "opted out of logging"
        if action_hold is not None:
            action = "held"
        else:
            action = "anonymise" if rules.erasure.mode == "anonymise" or b else "delete"
        plan.line(rules.ref, reason, action, anchor_name, action_hold).add(int(n), first)


def _count_referenced(scan: TableScan, plan: Plan) -> None:
    """Expired rows kept because other rows still point at them (never erased while they do)."""
    referenced = scan.query.referenced()
    if referenced is None:
        return
    where, _ = scan.query.expired(plan.as_of, scan.subj)
    if where is None:
        return
    with scan.connector.connection() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(scan.query._from)
                         .where(where, referenced)).scalar_one()
    if n:
        by = ", ".join(f"{e.child.table}.{e.column}" for e in scan.rules.referrers)
        plan.line(scan.rules.ref, f"still referenced by {by}", "kept", None).add(int(n), None)


def plan(engine: Engine) -> Plan:
    """What has expired at the engine's as_of, per table and reason; nothing is changed."""
    result = Plan(engine.as_of)
    due: dict[TableRef, list[tuple[Any, RetentionHold | None]]] = {}
    for d, held_by in engine.deferred_due():
        due.setdefault(TableRef(d.system, d.table_name), []).append((d, held_by))
    exact_clauses: dict[TableRef, tuple[TableQuery, sa.ColumnElement[bool]]] = {}
    for rules in engine.tables():
        result.warnings += [f"{rules.ref}: {p}" for p in rules.problems]
        scan = engine.scan(rules)
        scan.staying = {e.child.table: exact_clauses[e.child] for e in rules.children
                        if e.child in exact_clauses}
        hold = engine.table_hold(rules)
        oldest_ref = scan.query.oldest_anchor()
        anchor_name = next((n for n, r in rules.anchors.items() if r == oldest_ref), None)
        for _record, held_by in due.get(rules.ref, []):
            action: str = "held" if held_by is not None else rules.erasure.mode
            result.line(rules.ref, DEFERRED, action, None, held_by).add(1, None)
        where, exact = scan.clause(engine.as_of)
        if where is None:
            continue
        if exact and engine.table_hold(rules) is None and rules.erasure.mode == "delete":
            staying = scan.children()  # its expired rows leave in this run unless kept for children
            leave = where if staying is None else sa.and_(where, sa.not_(staying))
            exact_clauses[rules.ref] = (scan.query, leave)
        _count_referenced(scan, result)
        if exact:
            _count_exact(scan, result, where, hold)
            continue
        for groups in scan.pages(engine.as_of):
            for g in groups:
                oldest = min((r[f"__a_{anchor_name}"] for r in g.rows
                              if anchor_name and r.get(f"__a_{anchor_name}") is not None),
                             key=instant, default=None)
                result.line(rules.ref, g.reason, "held" if hold is not None else g.action, anchor_name,
                            hold or g.hold).add(len(g.rows), oldest)
    return result
