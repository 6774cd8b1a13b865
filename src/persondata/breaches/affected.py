"""Who is affected: count distinct subjects and records in the affected tables of the data map.

One query per table on the company's database (SQLAlchemy Core on reflected tables, values
bound): `SELECT COUNT(*), COUNT(DISTINCT key)`. The key is the table's identity value (the
first non-null of its identity columns) in a subject table, or the owner key reached through
`belongs_to` in a child table (a chain of owners is joined up to the subject table).
The same person may be in `customer` and `invoice`: the estimate takes the largest count per
subject table and adds those up; `subjects_max` adds up every table (an upper bound).

Naive timestamp columns are read as the controller's local time; aware ones as instants.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, NoSuchTableError, SQLAlchemyError

from persondata.breaches.times import controller_zone
from persondata.connectors.sql import quiet_reflection
from persondata.errors import InputError, SystemFailure
from persondata.policy.loader import resolve_env
from persondata.policy.model import Policy, Table

MAX_HOPS = 8


@dataclass(frozen=True)
class Window:
    """Only rows whose anchor (an anchor name of the table, or a column) falls in [since, until)."""

    anchor: str
    since: datetime | None = None
    until: datetime | None = None

    def describe(self) -> str:
        """The window in words."""
        parts = [f"{self.anchor}"]
        if self.since is not None:
            parts.append(f">= {self.since.isoformat()}")
        if self.until is not None:
            parts.append(f"< {self.until.isoformat()}")
        return " ".join(parts)


@dataclass(frozen=True)
class TableCount:
    """What one affected table holds."""

    table: str
    records: int
    subjects: int | None
    key: str
    owner: str | None
    categories: list[str]
    window: str | None = None


@dataclass(frozen=True)
class AffectedCount:
    """The counts over all affected tables, to prefill a case."""

    tables: list[TableCount]
    categories: list[str]
    records: int
    subjects: int
    subjects_max: int
    notes: list[str] = field(default_factory=list)


def resolve_url(url: str, env: Mapping[str, str] | None = None, where: str | None = None) -> str:
    """A system URL with its ${VAR} references filled from the environment."""
    return resolve_env(url, env, where)


def _engine(system: str, url: str) -> sa.Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InputError(f"system {system}: {url!r} is not a valid database URL") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:") or not Path(parsed.database).exists():
            raise InputError(f"system {system}: SQLite database {parsed.database!r} does not exist")
    elif backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend in ("mysql", "mariadb") and "+" not in parsed.drivername:
        parsed = parsed.set(drivername=f"{backend}+pymysql")
    return sa.create_engine(parsed, poolclass=sa.pool.NullPool)


def count_affected(policy: Policy, tables: list[str], window: Window | None = None,
                   env: Mapping[str, str] | None = None) -> AffectedCount:
    """Count distinct subjects and records, and list the data categories, of the affected tables."""
    if not tables:
        raise InputError("name at least one affected table as system.table")
    zone = controller_zone(policy.controller.country)
    by_system: dict[str, list[str]] = {}
    for item in dict.fromkeys(tables):
        system, _, table = item.partition(".")
        if system not in policy.systems or table not in policy.systems[system].tables:
            raise InputError(f"{item}: not a table of the policy's data map")
        by_system.setdefault(system, []).append(table)
    if window is not None and window.since and window.until and window.since >= window.until:
        raise InputError("the window is empty: --since must be before --until")
    counts: list[TableCount] = []
    for system, names in by_system.items():
        url = resolve_url(policy.systems[system].url, env, where=f"systems.{system}.url")
        engine = _engine(system, url)
        try:
            with engine.connect() as conn:
                for name in names:
                    counts.append(_count_table(conn, policy, system, name, window, zone))
        except SQLAlchemyError as exc:
            raise SystemFailure(f"system {system}: the database failed: {exc}") from exc
        finally:
            engine.dispose()
    return _total(counts)


def _total(counts: list[TableCount]) -> AffectedCount:
    groups: dict[str, list[int]] = {}
    notes = []
    for c in counts:
        if c.subjects is None or c.owner is None:
            notes.append(f"{c.table}: no identity or owner in the data map; subjects not counted")
            continue
        groups.setdefault(c.owner, []).append(c.subjects)
    estimate = sum(max(v) for v in groups.values())
    upper = sum(sum(v) for v in groups.values())
    categories = sorted({cat for c in counts for cat in c.categories})
    return AffectedCount(tables=counts, categories=categories, records=sum(c.records for c in counts),
                         subjects=estimate, subjects_max=upper, notes=notes)


def _reflect(conn: Connection, system: str, name: str, cache: dict[str, sa.Table]) -> sa.Table:
    if name not in cache:
        schema, _, bare = name.rpartition(".")
        try:
            with quiet_reflection():
                cache[name] = sa.Table(bare, sa.MetaData(), schema=schema or None, autoload_with=conn)
        except NoSuchTableError as exc:
            raise InputError(f"{system}.{name}: the table is in the data map but not in the "
                             "database") from exc
    return cache[name]


def _column(table: sa.Table, system: str, name: str, column: str) -> sa.ColumnElement[object]:
    if column not in table.c:
        raise InputError(f"{system}.{name}: column {column!r} of the data map is not in the database")
    return table.c[column]


def _count_table(conn: Connection, policy: Policy, system: str, name: str, window: Window | None,
                 zone: ZoneInfo) -> TableCount:
    spec = policy.systems[system].tables[name]
    cache: dict[str, sa.Table] = {}
    table = _reflect(conn, system, name, cache)
    source: sa.FromClause = table
    key: sa.ColumnElement[object] | None = None
    owner: str | None = None
    key_text = ""
    if spec.identities:
        key, owner = _identity_key(table, system, name, spec), f"{system}.{name}"
        key_text = " or ".join(spec.identities)
    elif spec.belongs_to:
        source, key, owner, key_text = _owner_key(conn, policy, system, name, spec, table, cache)
    stmt = sa.select(sa.func.count(), sa.func.count(sa.distinct(key)) if key is not None else sa.null())
    stmt = stmt.select_from(source)
    window_text = None
    if window is not None:
        column_name = spec.anchors.get(window.anchor, window.anchor)
        if column_name not in table.c:
            anchors = ", ".join(spec.anchors) or "none"
            raise InputError(f"{system}.{name}: no anchor or column {window.anchor!r} to apply the "
                             f"window to (anchors: {anchors})")
        col = table.c[column_name]
        for bound, op in ((window.since, "ge"), (window.until, "lt")):
            if bound is not None:
                value = _bind_value(col, bound, zone)
                stmt = stmt.where(col >= value if op == "ge" else col < value)
        window_text = window.describe()
    row = conn.execute(stmt).one()
    records, subjects = int(row[0] or 0), row[1]
    categories = sorted({spec.field_spec(c).category for c in spec.fields})
    return TableCount(table=f"{system}.{name}", records=records,
                      subjects=None if key is None or subjects is None else int(subjects), key=key_text,
                      owner=owner, categories=categories, window=window_text)


def _identity_key(table: sa.Table, system: str, name: str, spec: Table) -> sa.ColumnElement[object]:
    """The first non-null identity value of a row (as text when there are several columns)."""
    columns = [_column(table, system, name, c) for c in spec.identities.values()]
    if len(columns) == 1:
        return columns[0]
    return sa.func.coalesce(*(sa.cast(c, sa.String) for c in columns))


def _owner_key(conn: Connection, policy: Policy, system: str, name: str, spec: Table, table: sa.Table,
               cache: dict[str, sa.Table]) -> tuple[sa.FromClause, sa.ColumnElement[object], str, str]:
    """Follow belongs_to up to a subject table; the key is the last hop's foreign key column."""
    tables = policy.systems[system].tables
    source: sa.FromClause = table
    current, current_spec, current_table = name, spec, table
    path = []
    for _ in range(MAX_HOPS):
        column, target = next(iter(current_spec.belongs_to.items()))
        parent, _, parent_col = target.rpartition(".")
        if parent not in tables:
            raise InputError(f"{system}.{current}: belongs_to {target!r} names no table of the system")
        fk = _column(current_table, system, current, column)
        path.append(f"{column} → {parent}")
        parent_spec = tables[parent]
        if parent_spec.identities or not parent_spec.belongs_to:
            return source, fk, f"{system}.{parent}", " → ".join(path)
        parent_table = _reflect(conn, system, parent, cache)
        # outer: a row whose owner is missing still counts as a record (not as a person)
        source = source.outerjoin(parent_table, fk == _column(parent_table, system, parent, parent_col))
        current, current_spec, current_table = parent, parent_spec, parent_table
    raise InputError(f"{system}.{name}: belongs_to chain longer than {MAX_HOPS} tables (a cycle?)")


def _bind_value(col: sa.ColumnElement[object], bound: datetime, zone: ZoneInfo) -> object:
    """The window bound in the column's own terms: a date, a local naive time, or an instant."""
    col_type = col.type
    if isinstance(col_type, sa.DateTime):
        return bound if col_type.timezone else bound.astimezone(zone).replace(tzinfo=None)
    if isinstance(col_type, sa.Date):
        return bound.astimezone(zone).date()
    return bound.astimezone(zone).replace(tzinfo=None).isoformat(sep=" ")
