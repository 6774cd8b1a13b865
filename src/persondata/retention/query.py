"""The SQL of retention against one company table: which rows have expired, in batches.

Everything is built with SQLAlchemy Core on the reflected table; values are bound, names
quoted. Time rules become index-friendly ranges on the anchor column (`expiry.windows`);
owners' columns are reached with LEFT JOINs along ownership edges; a delete-mode row that
still has child rows is not deleted but anonymised (it is kept for its children) and
deleted once they are gone; rows already anonymised are not selected again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from persondata.connectors.graph import Edge
from persondata.connectors.protocol import DataMapError
from persondata.connectors.sql import SqlConnector
from persondata.connectors.strategies import FieldRule
from persondata.policy.model import Strategy
from persondata.retention.expiry import ColumnKind, Term, Window, windows
from persondata.retention.spec import ColumnRef, TableRules

PK = "__pk"


@dataclass(frozen=True)
class Subjectivity:
    """Which subject-dependent facts can end a table's purposes in this plan or run."""

    consent: bool
    opt_outs: bool  # there are opted-out subjects and the table declares opt_out_flag
    holds: bool  # there are subject holds

    def term_depends(self, term: Term) -> bool:
        """True when a term can end for a subject-dependent reason."""
        return (self.consent and term.consent) or self.opt_outs


class TableQuery:
    """Selects of expired rows of one table, with owners joined in."""

    def __init__(self, connector: SqlConnector, rules: TableRules) -> None:
        self.connector = connector
        self.rules = rules
        self.table = connector.table(rules.ref.table)
        self.pk = connector.column(rules.ref.table, rules.spec.primary_key)
        self._aliases: dict[tuple[Edge, ...], sa.FromClause] = {(): self.table}
        self._from: sa.FromClause = self.table
        refs = [*rules.anchors.values(), *rules.identities.values()]
        if rules.opt_out is not None:
            refs.append(rules.opt_out)
        for ref in refs:
            self._join(ref.hops)

    def _join(self, hops: tuple[Edge, ...]) -> sa.FromClause:
        for i in range(1, len(hops) + 1):
            path = hops[:i]
            if path in self._aliases:
                continue
            edge = hops[i - 1]
            child = self._aliases[path[:-1]]
            parent = self.connector.table(edge.parent.table).alias(f"owner_{i}_{edge.parent.table}")
            self._from = self._from.outerjoin(parent, child.c[edge.column] == parent.c[edge.parent_column])
            self._aliases[path] = parent
        return self._aliases[hops]

    def column(self, ref: ColumnRef) -> sa.ColumnElement[Any]:
        """The SQL column a ColumnRef names (DataMapError when it does not exist)."""
        source = self._join(ref.hops)
        if ref.column not in source.c:
            table = ref.hops[-1].parent.table if ref.hops else self.rules.ref.table
            raise DataMapError(f"system {self.rules.ref.system}: table {table} has no column {ref.column!r}")
        return source.c[ref.column]

    def kind(self, ref: ColumnRef) -> tuple[ColumnKind, bool]:
        """(date or datetime, timezone-aware) of an anchor column."""
        col = self.column(ref)
        if isinstance(col.type, sa.DateTime):
            return "datetime", bool(col.type.timezone)
        if isinstance(col.type, sa.Date):
            return "date", False
        raise DataMapError(f"system {self.rules.ref.system}: anchor column {ref} is of type {col.type}, "
                           f"not a date or a date and time")

    def _window_sql(self, ref: ColumnRef, wins: list[Window]) -> sa.ColumnElement[bool]:
        col = self.column(ref)
        kind, aware = self.kind(ref)

        def bind(v: date | datetime) -> date | datetime:
            if kind == "date":
                return v.date() if isinstance(v, datetime) else v
            assert isinstance(v, datetime)
            v = v.astimezone(UTC)
            return v if aware else v.replace(tzinfo=None)

        parts = []
        for w in wins:
            hi = col <= bind(w.hi) if w.hi_inclusive else col < bind(w.hi)
            parts.append(sa.and_(col >= bind(w.lo), hi) if w.lo is not None else hi)
        return sa.or_(*parts)

    def time_expired(self, term: Term, as_of: datetime) -> sa.ColumnElement[bool] | None:
        """The rows this term's time rule has released at as_of (None: none can be)."""
        if term.rule is None or term.anchor is None or term.anchor not in self.rules.anchors:
            return None
        ref = self.rules.anchors[term.anchor]
        kind, _ = self.kind(ref)
        wins = windows(term.rule, as_of, kind)
        return self._window_sql(ref, wins) if wins else None

    def flag(self) -> sa.ColumnElement[bool] | None:
        """Rows whose opt-out flag is set."""
        if self.rules.opt_out is None:
            return None
        return self.column(self.rules.opt_out) == sa.true()

    def expired(self, as_of: datetime, subj: Subjectivity) -> tuple[sa.ColumnElement[bool] | None, bool]:
        """(clause, exact): rows expired at as_of; when not exact, a superset to decide in Python."""
        parts: list[sa.ColumnElement[bool]] = []
        exact = True
        flag = self.flag()
        if not self.rules.terms:
            return None, True
        for term in self.rules.terms:
            options: list[sa.ColumnElement[bool]] = []
            timed = self.time_expired(term, as_of)
            if timed is not None:
                options.append(timed)
            if flag is not None:
                options.append(flag)
            if subj.term_depends(term) and self.rules.identities:
                exact = False
                continue  # may end for a subject: any row can be a candidate under this term
            if not options:
                return None, True
            parts.append(sa.or_(*options) if len(options) > 1 else options[0])
        if subj.holds and self.rules.identities:
            exact = False
        return (sa.and_(*parts) if parts else sa.true()), exact

    def has_children(self, staying: dict[str, tuple[TableQuery, sa.ColumnElement[bool]]] | None = None
                     ) -> sa.ColumnElement[bool] | None:
        """Rows that have rows in a child table (kept for them).

        `staying` maps a child table to its query and its expired clause: then only child rows
        that will not be erased in the same run count (a forecast of the run's order)."""
        exists = []
        for edge in self.rules.children:
            if staying and edge.child.table in staying:
                child_q, gone = staying[edge.child.table]
                exists.append(sa.exists(sa.select(sa.literal(1)).select_from(child_q._from).where(
                    child_q.table.c[edge.column] == self.table.c[edge.parent_column], sa.not_(gone))))
                continue
            child = self.connector.table(edge.child.table).alias(f"child_{edge.child.table}")
            exists.append(sa.exists().where(child.c[edge.column] == self.table.c[edge.parent_column]))
        return sa.or_(*exists) if exists else None

    def referenced(self) -> sa.ColumnElement[bool] | None:
        """Rows another table still points at without owning them (a shared address): kept as they are."""
        exists = []
        for edge in self.rules.referrers:
            other = self.connector.table(edge.child.table).alias(f"ref_{edge.child.table}")
            exists.append(sa.exists().where(other.c[edge.column] == self.table.c[edge.parent_column]))
        return sa.or_(*exists) if exists else None

    def _erased(self, rule: FieldRule) -> sa.ColumnElement[bool] | None:
        if rule.column not in self.table.c or rule.strategy is Strategy.keep:
            return None
        col = self.table.c[rule.column]
        info = self.connector.columns(self.rules.ref.table)[rule.column]
        strategy = Strategy.null if rule.strategy in (None, Strategy.delete) else rule.strategy
        text = info.is_text
        length = info.length

        def cut(s: str) -> str:
            return s[:length] if length else s

        if strategy is Strategy.null and not info.nullable:
            if text:
                strategy = Strategy.redact
            elif info.python_type in (date, datetime):
                strategy = Strategy.generalize
        if strategy is Strategy.redact and text:
            return sa.or_(col.is_(None), col == cut(rule.redact_text))
        if strategy is Strategy.hash and text:
            return sa.or_(col.is_(None), sa.func.length(col) == min(64, length or 64))
        if strategy is Strategy.mask and text:
            return sa.or_(col.is_(None), col == "", col.like("*%"))
        if strategy is Strategy.generalize:
            if info.python_type in (date, datetime):
                return sa.or_(col.is_(None), sa.and_(sa.extract("month", col) == 1,
                                                     sa.extract("day", col) == 1))
            if text:
                return sa.or_(col.is_(None), col.like("____-01-01%"))
        return col.is_(None)

    def erased(self) -> sa.ColumnElement[bool] | None:
        """Rows whose personal fields are all in their anonymised form already."""
        parts = [p for p in (self._erased(r) for r in self.rules.erasure.fields) if p is not None]
        return sa.and_(*parts) if parts else None

    def select(self, where: sa.ColumnElement[bool], *, full: bool, after: Any = None,
               limit: int | None = None) -> sa.Select[Any]:
        """Candidate rows in primary-key order: the key (and, when full, what Python needs)."""
        cols: list[sa.ColumnElement[Any]] = [self.pk.label(PK)]
        if full:
            cols += [c for c in self.table.c if c.name != self.pk.name]
            for name, ref in self.rules.anchors.items():
                cols.append(self.column(ref).label(f"__a_{name}"))
            for kind, ref in self.rules.identities.items():
                cols.append(self.column(ref).label(f"__i_{kind}"))
            if self.rules.opt_out is not None:
                cols.append(self.column(self.rules.opt_out).label("__flag"))
        stmt = sa.select(*cols).select_from(self._from).where(where)
        if after is not None:
            stmt = stmt.where(self.pk > after)
        stmt = stmt.order_by(self.pk)
        return stmt.limit(limit) if limit is not None else stmt

    def count(self, where: sa.ColumnElement[bool], oldest_by: ColumnRef | None) -> sa.Select[Any]:
        """How many rows match, and the earliest value of an anchor among them."""
        cols: list[sa.ColumnElement[Any]] = [sa.func.count()]
        if oldest_by is not None:
            cols.append(sa.func.min(self.column(oldest_by)))
        return sa.select(*cols).select_from(self._from).where(where)

    def oldest_anchor(self) -> ColumnRef | None:
        """The anchor used to name the oldest expired row: the first timed purpose's."""
        for term in self.rules.terms:
            if term.anchor is not None and term.anchor in self.rules.anchors:
                return self.rules.anchors[term.anchor]
        return None


def delete_keys(conn: sa.Connection, table: sa.Table, pk: sa.ColumnElement[Any], keys: list[Any]) -> int:
    """Delete rows by key in one statement: `= ANY(array)` on PostgreSQL, `IN` chunks elsewhere."""
    if not keys:
        return 0
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        param = sa.bindparam("keys", value=keys, type_=ARRAY(pk.type))
        return int(conn.execute(sa.delete(table).where(pk == sa.any_(param))).rowcount or 0)
    done = 0
    for i in range(0, len(keys), 1000):
        done += int(conn.execute(sa.delete(table).where(pk.in_(keys[i:i + 1000]))).rowcount or 0)
    return done
