"""Batches for the SQL connector: several tables' rows for one subject, or one subject's changes
across tables, in one round trip.

A `Lookup` becomes one statement per chunk of literal values (`a IN (...) OR lower(b) IN (...)`)
and one per `Via` path: `order_items.order_id IN (SELECT orders.id FROM orders WHERE
orders.customer_id IN (SELECT customer.id FROM customer WHERE lower(email) IN (...)))`. A
subquery is never ORed with other conditions (PostgreSQL would then scan the table instead
of joining by index), so every statement is a chain of indexed semi-joins.

Statements are built by SQLAlchemy once per shape and cached. On PostgreSQL the values are
arrays (`= ANY(%(p0)s::BIGINT[])`: one text per shape, prepared once per connection) and the
statements of a batch go through the pipeline, sent together and answered together (straight
through libpq, `pg_pipeline`, where the session manages its transaction; else through psycopg's
cursors); elsewhere they are executed one after the other through SQLAlchemy.

Changes (`Write`) go the same way on PostgreSQL when every column they set holds plain values
(text, numbers, dates, booleans, bytes): deletions and updates by `= ANY(keys)`, per-row
updates one statement each, in order, in the caller's transaction.

A `Guard` sent with changes goes first, in the same round trip on PostgreSQL:
`SELECT CAST((SELECT '<marker>' WHERE EXISTS (SELECT 1 FROM t WHERE <lookup> AND NOT pk =
ANY(known))) AS INTEGER)` fails when the lookup finds a row not known, which aborts the
transaction, so none of the changes after it is made (elsewhere the guard is one lookup before
the changes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar, cast

import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from persondata.connectors import pg_pipeline
from persondata.connectors.pg_pipeline import Answer
from persondata.connectors.protocol import CHUNK, Guard, Lookup, Row, StaleFinds, Write, chunks
from persondata.errors import SystemFailure

if TYPE_CHECKING:
    from persondata.connectors.sql import SqlConnector
    from persondata.connectors.sql_session import SqlSession

T = TypeVar("T")

# A statement's condition: ("in", ((column, folded), ...)) for literal values, or
# ("via", column, source_table, source_column, condition) for a subquery.
Cond = tuple[Any, ...]


Statement = tuple[Cond, list[list[Any]]]  # a condition and its values


def _conditions(session: SqlSession, lk: Lookup,
                memo: dict[int, list[Statement]] | None = None) -> list[Statement]:
    """Each statement of a lookup: its condition and its values (one list per literal column).
    `memo` keeps each lookup's conditions for the lookups that follow it by subquery."""
    if memo is not None and id(lk) in memo:
        return memo[id(lk)]
    table = lk.table
    emails = session.connector.email_columns(table)
    folded = session.connector.folded(table)
    pairs = list(dict.fromkeys((c, v.lower() if c in emails and isinstance(v, str) else v)
                               for c, vals in lk.match.items() for v in session.coerced(table, c, vals)))
    out: list[Statement] = []
    for chunk in chunks(pairs, CHUNK):
        by_col: dict[str, list[Any]] = {}
        for c, v in chunk:
            by_col.setdefault(c, []).append(v)
        out.append((("in", tuple((c, c in folded) for c in by_col)), list(by_col.values())))
    for via in lk.via:
        for cond, values in _conditions(session, via.source, memo):
            out.append((("via", via.column, via.source.table, via.source_column, cond), values))
    if memo is not None:
        memo[id(lk)] = out
    return out


def _where(connector: SqlConnector, table: str, cond: Cond, names: Iterator[int]) -> sa.ColumnElement[bool]:
    if cond[0] == "in":
        parts = []
        for column, folded in cond[1]:
            col = connector.column(table, column)
            expr = sa.func.lower(col) if folded else col
            name = f"p{next(names)}"
            if connector.dialect == "postgresql" and not isinstance(col.type, sa.types.NullType):
                parts.append(expr == sa.any_(sa.bindparam(name, type_=postgresql.ARRAY(col.type))))
            else:
                parts.append(expr.in_(sa.bindparam(name, expanding=True)))
        return sa.or_(*parts)
    _, column, source_table, source_column, sub = cond
    inner = sa.select(connector.column(source_table, source_column)).where(
        _where(connector, source_table, sub, names))
    return connector.column(table, column).in_(inner)


def _statement(connector: SqlConnector, table: str, cond: Cond,
               columns: tuple[str, ...] | None) -> tuple[sa.Select[Any], str | None, tuple[str, ...]]:
    """The SELECT for one condition, cached per shape (with its SQL text on PostgreSQL) and the
    names of the columns it returns."""
    def build() -> tuple[sa.Select[Any], str | None, tuple[str, ...]]:
        what = [connector.table(table)] if columns is None else [connector.column(table, c) for c in columns]
        stmt = sa.select(*what).where(_where(connector, table, cond, iter(range(1_000_000))))
        pg = connector.dialect == "postgresql"
        names = tuple(c.name for c in stmt.selected_columns)
        return stmt, str(stmt.compile(dialect=connector.engine.dialect)) if pg else None, names

    return _cached(connector, ("lookup", table, cond, columns), build)


def lookup(session: SqlSession, lookups: Sequence[Lookup], *,
           meanwhile: Callable[[], None] | None = None) -> list[list[Row]]:
    """The rows of each lookup, deduplicated by primary key; see the module docstring. `meanwhile`
    runs while they are on their way (PostgreSQL), else after them."""
    connector = session.connector
    work: list[tuple[int, sa.Select[Any], str | None, tuple[str, ...], dict[str, Any]]] = []
    memo: dict[int, list[Statement]] = {}
    for i, lk in enumerate(lookups):
        for cond, values in _conditions(session, lk, memo):
            stmt, text, names = _statement(connector, lk.table, cond, lk.columns)
            work.append((i, stmt, text, names, {f"p{n}": v for n, v in enumerate(values)}))
    if connector.dialect == "postgresql":
        answers = _run(session, [(text or "", params) for _, _, text, _, params in work], reads=True,
                       meanwhile=meanwhile)
        results = [[dict(zip(names, r, strict=True)) for r in answer.rows]
                   for (_, _, _, names, _), answer in zip(work, answers, strict=True)]
    else:
        results = [session.rows(stmt, params) for _, stmt, _, _, params in work]
        if meanwhile is not None:
            meanwhile()
    out: list[dict[Any, Row]] = [{} for _ in lookups]
    for (i, *_), rows in zip(work, results, strict=True):
        pk = connector.primary_key(lookups[i].table)
        seen = out[i]
        for row in rows:
            seen.setdefault(row.get(pk, id(row)), row)
    return [list(seen.values()) for seen in out]


def _run(session: SqlSession, statements: list[tuple[str, dict[str, Any]]], *, reads: bool = False,
         commit: bool = False, meanwhile: Callable[[], None] | None = None) -> list[Answer]:
    """Run statements on the psycopg connection under the session's transaction, sent together;
    returns their answers (rows as tuples, and row counts).

    `commit`: the COMMIT goes with them (a failed statement aborts it). `meanwhile` runs once
    everything is sent, before the answers are read. Where the session manages its transaction
    (see Tx), the batch goes straight through libpq (`pg_pipeline`): a write's first batch carries
    its BEGIN; in a read, statements that only read (`reads`) go as they are (a pipeline is one
    implicit transaction) and anything else goes inside BEGIN READ ONLY ... COMMIT, so that
    PostgreSQL refuses a change. Elsewhere they go through psycopg's cursors in its pipeline."""
    from persondata.connectors.sql_session import idle

    raw: psycopg.Connection[Any] = session.conn.connection.driver_connection  # type: ignore[assignment]
    bound = [(sql, {k: _array(v) if type(v) is list else v for k, v in params.items()})
             for sql, params in statements]
    try:
        if session.batches is not None:
            begin = ("BEGIN READ ONLY" if session.batches == "read" and not reads else
                     "BEGIN" if session.batches == "write" and idle(session.conn) else None)
            return pg_pipeline.run(raw, bound, begin=begin, commit=commit or begin == "BEGIN READ ONLY",
                                   meanwhile=meanwhile)
        return _run_cursors(raw, bound, commit=commit, meanwhile=meanwhile)
    except psycopg.Error as exc:
        if raw.broken or raw.closed:  # let the pool replace it (SQLAlchemy did not see the error)
            session.conn.invalidate()
        elif _STALE in str(exc):
            raise StaleFinds(f"system {session.connector.name}: {_STALE}") from exc
        raise SystemFailure(f"system {session.connector.name}: {exc}") from exc


def _run_cursors(raw: psycopg.Connection[Any], bound: list[tuple[str, dict[str, Any]]], *, commit: bool,
                 meanwhile: Callable[[], None] | None) -> list[Answer]:
    """Statements through psycopg's cursors (in its pipeline when more than one), in the
    transaction psycopg opened for SQLAlchemy."""
    cursors = [raw.cursor() for _ in bound]
    if len(bound) == 1 and not (commit or meanwhile):
        cursors[0].execute(*bound[0])
    else:
        with raw.pipeline():
            for cur, (sql, params) in zip(cursors, bound, strict=True):
                cur.execute(sql, params)
            if commit:
                raw.execute("COMMIT", prepare=False)
            if meanwhile is not None:
                meanwhile()
    return [Answer(cur.fetchall() if cur.description else [], cur.rowcount) for cur in cursors]


def _array(values: list[Any]) -> Any:
    """A list of texts or integers as PostgreSQL's array input (`{"a","b"}`), which the statement
    casts (`%(p0)s::TEXT[]`); still one bound parameter, but psycopg's list adapter costs ~7 µs a
    list of Python. Other lists as they are."""
    if all(type(v) is str or type(v) is int for v in values):
        quoted = ('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
        return "{" + ",".join(quoted) + "}"
    return values


_PLAIN = (str, int, float, bool, Decimal, date, datetime, time, bytes)


def write(session: SqlSession, writes: Sequence[Write], *, last: bool = False,
          meanwhile: Callable[[], None] | None = None, guards: Sequence[Guard] = ()) -> list[int]:
    """Apply changes in order; the rows each changed (see the module docstring). With `last`,
    pipelined changes carry the transaction's COMMIT; `meanwhile` runs while they are on their way;
    `guards` are checked first (StaleFinds when one finds a row it does not know)."""
    connector = session.connector
    plain = connector.dialect == "postgresql" and all(
        all(getattr(connector.columns(w.table).get(c), "python_type", None) in _PLAIN
            for c in {*w.values, *(c for _, ch in w.changes for c in ch)}) for w in writes)
    if not plain:
        _check_guards(session, guards)
        done = [session.apply(w) for w in writes]
        if meanwhile is not None:
            meanwhile()
        return done
    statements = [stmt for g in guards for stmt in _guard_statements(session, g)]
    owner = [-1] * len(statements)
    for i, w in enumerate(writes):
        for sql, params in _write_statements(session, w):
            statements.append((sql, params))
            owner.append(i)
    done = [0] * len(writes)
    if statements or last:
        for i, answer in zip(owner, _run(session, statements, commit=last, meanwhile=meanwhile), strict=True):
            if i >= 0:
                done[i] += max(answer.rowcount, 0)
    elif meanwhile is not None:
        meanwhile()
    return done


_STALE = "persondata: the search finds rows it had not found"


def _check_guards(session: SqlSession, guards: Sequence[Guard]) -> None:
    """Each guard as a lookup of primary keys (where guards do not go with the changes)."""
    if not guards:
        return
    connector = session.connector
    lookups = [Lookup(g.lookup.table, g.lookup.match, columns=(connector.primary_key(g.lookup.table),))
               for g in guards]
    for g, lk, rows in zip(guards, lookups, session.lookup(lookups), strict=True):
        known = {str(k) for k in g.known}
        if any(str(r[lk.columns[0]]) not in known for r in rows):  # type: ignore[index]
            raise StaleFinds(f"system {connector.name}: {_STALE}")


def _guard_statements(session: SqlSession, g: Guard) -> Iterator[tuple[str, dict[str, Any]]]:
    """A guard as statements that fail when its lookup finds a row it does not know (PostgreSQL)."""
    connector = session.connector
    table = g.lookup.table
    pk = connector.column(table, connector.primary_key(table))
    known = session.coerced(table, pk.name, g.known)

    def build(cond: Cond) -> sa.Select[Any]:
        inner: sa.Select[Any] = sa.select(sa.literal_column("1")).select_from(connector.table(table)).where(
            _where(connector, table, cond, iter(range(1_000_000))),
            sa.not_(pk == sa.any_(sa.bindparam("known", type_=postgresql.ARRAY(pk.type)))))
        marker = sa.select(sa.literal_column(f"'{_STALE}'")).where(inner.exists()).scalar_subquery()
        return sa.select(sa.cast(marker, sa.Integer))

    for cond, values in _conditions(session, Lookup(table, g.lookup.match)):
        sql = _text(connector, ("guard", table, cond), partial(build, cond))
        yield sql, {"known": known, **{f"p{n}": v for n, v in enumerate(values)}}


def _write_statements(session: SqlSession, w: Write) -> Iterator[tuple[str, dict[str, Any]]]:
    connector = session.connector
    t = connector.table(w.table)
    pk = connector.column(w.table, connector.primary_key(w.table))
    if w.kind == "update_rows":
        groups: dict[tuple[str, ...], list[tuple[Any, Any]]] = {}
        for key, vals in w.changes:
            if vals:
                groups.setdefault(tuple(sorted(vals)), []).append((key, vals))
        for cols, items in groups.items():
            sql = _text(connector, ("rows", w.table, pk.name, cols),
                        partial(_update, connector, w.table, cols, by_array=False))
            for key, vals in items:
                yield sql, {"k": key, **{f"v{i}": vals[c] for i, c in enumerate(cols)}}
        return
    keys = session.coerced(w.table, pk.name, w.keys)
    if w.kind == "delete":
        sql = _text(connector, ("delete", w.table, pk.name), lambda: sa.delete(t).where(
            pk == sa.any_(sa.bindparam("keys", type_=postgresql.ARRAY(pk.type)))))
        yield from ((sql, {"keys": list(c)}) for c in chunks(keys))
        return
    cols = tuple(sorted(w.values))
    if not cols:
        return
    sql = _text(connector, ("update", w.table, pk.name, cols),
                lambda: _update(connector, w.table, cols, by_array=True))
    values = {f"v{i}": w.values[c] for i, c in enumerate(cols)}
    yield from ((sql, {"keys": list(c), **values}) for c in chunks(keys))


def _update(connector: SqlConnector, table: str, cols: tuple[str, ...], *, by_array: bool) -> sa.Update:
    """`UPDATE t SET c0 = :v0, ... WHERE pk = :k` (or `= ANY(:keys)`)."""
    pk = connector.column(table, connector.primary_key(table))
    key = (sa.any_(sa.bindparam("keys", type_=postgresql.ARRAY(pk.type))) if by_array
           else sa.bindparam("k", type_=pk.type))
    binds = {connector.column(table, c).name: sa.bindparam(f"v{i}", type_=connector.column(table, c).type)
             for i, c in enumerate(cols)}
    return sa.update(connector.table(table)).where(pk == key).values(binds)


def _text(connector: SqlConnector, key: tuple[Any, ...], build: Callable[[], sa.ClauseElement]) -> str:
    """A statement's SQL text for PostgreSQL, built once per shape."""
    return str(_cached(connector, key, lambda: str(build().compile(dialect=connector.engine.dialect))))


def _cached(connector: SqlConnector, key: tuple[Any, ...], build: Callable[[], T]) -> T:
    """What `build` makes for a statement shape, made once per database (the shared engine's cache)."""
    if key not in connector.cache:
        connector.cache[key] = build()
    return cast(T, connector.cache[key])

