"""Finding what retention must do, table by table, page by page (shared by plan and run).

Each page is one keyset-paginated SELECT in primary-key order; its rows are split into
groups by reason (retention, consent withdrawn, opted out) and action: `delete`,
`anonymise` (the table anonymises, or a row is kept for its child rows) or `held` (a hold
keeps it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from persondata.connectors.sql import SqlConnector
from persondata.errors import SystemFailure
from persondata.retention.models import RetentionHold
from persondata.retention.query import Subjectivity, TableQuery
from persondata.retention.spec import TableRules
from persondata.retention.subjects import SubjectLens

BLOCKED = "__blocked"


@dataclass
class Group:
    """Rows of one page that share a reason and an action."""

    reason: str
    action: str  # delete | anonymise | held
    rows: list[dict[str, Any]] = field(default_factory=list)
    hold: RetentionHold | None = None
    subject: str | None = None


@dataclass(frozen=True)
class Range:
    """Expired rows with lo < key <= hi (lo None: from the first key) that the clause selects."""

    lo: Any
    hi: Any
    rows: int
    where: sa.ColumnElement[bool]

    def clause(self, pk: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
        """The rows of the range."""
        upper = sa.and_(self.where, pk <= self.hi)
        return upper if self.lo is None else sa.and_(upper, pk > self.lo)


@dataclass
class TableScan:
    """One table's query, its rules and the lens on its subjects."""

    connector: SqlConnector
    rules: TableRules
    query: TableQuery
    lens: SubjectLens
    subj: Subjectivity
    batch_size: int = 5000
    staying: dict[str, tuple[TableQuery, sa.ColumnElement[bool]]] | None = None

    def children(self) -> sa.ColumnElement[bool] | None:
        """Rows kept for their child rows (with `staying`: for children this run leaves)."""
        return self.query.has_children(self.staying)

    @property
    def pk(self) -> str:
        """The primary-key column name."""
        return self.rules.spec.primary_key

    def clause(self, as_of: datetime) -> tuple[sa.ColumnElement[bool] | None, bool]:
        """(candidate clause, exact); rows already anonymised are left out."""
        where, exact = self.query.expired(as_of, self.subj)
        if where is None:
            return None, exact
        referenced = self.query.referenced()
        if referenced is not None:
            where = sa.and_(where, sa.not_(referenced))
        erased = self.query.erased()
        children = self.children()
        if self.rules.erasure.mode == "anonymise" and erased is not None:
            where = sa.and_(where, sa.not_(erased))
        elif children is not None and erased is not None:
            where = sa.and_(where, sa.not_(sa.and_(children, erased)))
        return where, exact

    def needs_rows(self, exact: bool) -> bool:
        """True when a page must carry whole rows (not just keys)."""
        return (not exact or self.rules.erasure.mode == "anonymise" or bool(self.rules.children)
                or bool(self.rules.encrypted))

    def _fetch(self, stmt: sa.Select[Any]) -> list[dict[str, Any]]:
        with self.connector.connection() as conn:
            try:
                result = conn.execute(stmt)
                names = list(result.keys())
                return [dict(zip(names, r, strict=True)) for r in result.fetchall()]
            except DBAPIError as exc:
                raise SystemFailure(f"system {self.rules.ref.system}: {exc.orig}") from exc

    def _select(self, where: sa.ColumnElement[bool], full: bool, after: Any,
                limit: int | None) -> sa.Select[Any]:
        stmt = self.query.select(where, full=full, after=after, limit=limit)
        children = self.children()
        if children is not None:
            stmt = stmt.add_columns(sa.case((children, 1), else_=0).label(BLOCKED))
        for name, ref in self.rules.anchors.items():
            if not full:
                stmt = stmt.add_columns(self.query.column(ref).label(f"__a_{name}"))
        return stmt

    def fast(self, exact: bool) -> bool:
        """True when whole key ranges can be deleted by the clause alone (no judging, no keys)."""
        r = self.rules
        return (exact and r.erasure.mode == "delete" and not r.children and not r.referrers
                and not r.encrypted and r.opt_out is None and not self.lens.holds.subjects
                and self.query._from is self.query.table)

    def ranges(self, as_of: datetime) -> Iterator[Range]:
        """Key ranges of at most batch_size expired rows each, in key order (the fast path)."""
        where, _ = self.clause(as_of)
        if where is None:
            return
        after: Any = None
        while True:
            size = self.batch_size
            page = self.query.select(where, full=False, after=after, limit=size).subquery()
            stmt = sa.select(sa.func.count(), sa.func.max(page.c["__pk"]))
            with self.connector.connection() as conn:
                try:
                    n, hi = conn.execute(stmt).one()
                except DBAPIError as exc:
                    raise SystemFailure(f"system {self.rules.ref.system}: {exc.orig}") from exc
            if not n:
                return
            yield Range(after, hi, int(n), where)
            after = hi
            if n < size:
                return

    def pages(self, as_of: datetime) -> Iterator[list[Group]]:
        """The table's expired rows as pages of groups (batch_size rows each), in key order."""
        where, exact = self.clause(as_of)
        if where is None:
            return
        full = self.needs_rows(exact)
        after: Any = None
        while True:
            size = self.batch_size
            rows = self._fetch(self._select(where, full, after, size))
            if not rows:
                return
            after = rows[-1]["__pk"]
            yield self.split(rows, as_of, exact)
            if len(rows) < size:
                return

    def split(self, rows: Sequence[dict[str, Any]], as_of: datetime, exact: bool) -> list[Group]:
        """Judge rows and group them by (reason, action)."""
        verdicts = self.lens.judge(self.rules, rows, as_of, exact)
        if exact and not self.rules.children and self.rules.opt_out is None and not self.lens.holds.subjects:
            action = "anonymise" if self.rules.erasure.mode == "anonymise" else "delete"
            pk = self.pk
            for row in rows:  # every row expired for the same reason: one group, no judging
                row[pk] = row["__pk"]
            return [Group(self.rules.rule_text(), action, list(rows))]
        groups: dict[tuple[str, str, int | None], Group] = {}
        for row, v in zip(rows, verdicts, strict=True):
            if not v.expired:
                continue
            row = _own(row, self.pk)
            reason = self.rules.rule_text() if v.reason == "retention" else v.reason
            if v.hold is not None:
                action = "held"
            elif self.rules.erasure.mode == "anonymise" or row.get(BLOCKED):
                action = "anonymise"
            else:
                action = "delete"
            key = (reason, action, v.hold.id if v.hold else None)
            group = groups.get(key)
            if group is None:
                group = groups[key] = Group(reason, action, hold=v.hold)
            group.rows.append(row)
        return list(groups.values())


def _own(row: Mapping[str, Any], pk: str) -> dict[str, Any]:
    """A row keyed by its own column names plus the helper values retention added."""
    out = dict(row)
    out[pk] = row["__pk"]
    return out
