"""Sessions of the SQL connector: one transaction on one system, with batched reads and writes.

Every value is a bound parameter; `IN` lists hold at most 1,000 values per statement.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError

from persondata.connectors.protocol import CHUNK, ColumnInfo, Condition, Guard, Lookup, Row, Write, chunks
from persondata.errors import InputError, SystemFailure

if TYPE_CHECKING:
    from persondata.connectors.sql import SqlConnector


def _coerce(info: ColumnInfo, value: Any) -> Any:
    """The value in the column's Python type (e.g. an identity string for an integer column)."""
    if value is None or info.python_type is None or isinstance(value, info.python_type):
        return value
    if info.python_type is int and isinstance(value, str):
        text = value.strip()
        return int(text) if re.fullmatch(r"[+-]?\d+", text) else None
    if info.python_type is str and isinstance(value, int | float):
        return str(value)
    return value


class Tx:
    """One open transaction on a system: use `.session`, then commit() (a read rolls back) and close().

    With `batched=True` on PostgreSQL the connection runs in autocommit and the session manages
    the transaction itself, so that starting or ending it costs no round trip of its own (psycopg
    waits for a BEGIN it sends in a pipeline): a read holds no transaction, each batch of lookups
    is its own read-only one (`BEGIN READ ONLY; ...; COMMIT`, one round trip; under READ
    COMMITTED every statement sees its own snapshot either way); a write's BEGIN goes with its
    first batch, and its COMMIT with the last one where the caller says which is last."""

    def __init__(self, connector: SqlConnector, write: bool, *, batched: bool = False) -> None:
        self.connector = connector
        self.write = write
        batched = batched and connector.dialect == "postgresql"
        try:
            conn = connector.engine.connect()
        except OperationalError as exc:
            raise SystemFailure(
                f"system {connector.name}: cannot reach {connector.describe()}: {exc.orig}") from exc
        self._tx: sa.RootTransaction | None = None
        try:
            if batched:  # psycopg in autocommit, set straight on it (and back on close)
                conn.connection.driver_connection.autocommit = True  # type: ignore[union-attr]
            else:
                if write:
                    conn = conn.execution_options(persondata_write=True)
                elif connector.dialect == "postgresql":
                    conn = conn.execution_options(postgresql_readonly=True)
                self._tx = conn.begin()
            if not write and connector.dialect in ("mysql", "mariadb"):
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        except OperationalError as exc:
            conn.close()
            raise SystemFailure(f"system {connector.name}: {exc.orig}") from exc
        self.conn = conn
        self.batches: Batches = ("write" if write else "read") if batched else None
        self.session = self.session_for(connector)

    def session_for(self, connector: SqlConnector) -> SqlSession:
        """A session in this transaction for a system (another system on the same database too)."""
        return SqlSession(connector, self.conn, batches=self.batches)

    def commit(self) -> None:
        """Commit a write; a read is rolled back, except on PostgreSQL, where it is read-only and a
        ROLLBACK would make psycopg forget the statements it has prepared (each planned anew)."""
        if self.batches == "write":
            self._commit_driver()
            return
        if self._tx is None:  # a batched read: each batch was its own transaction
            return
        try:
            if self.write or self.connector.dialect == "postgresql":
                self._tx.commit()
            else:
                self._tx.rollback()
        except DBAPIError as exc:
            raise SystemFailure(f"system {self.connector.name}: {exc.orig}") from exc

    def _commit_driver(self) -> None:
        """psycopg's own commit: nothing to send when the last batch carried the COMMIT."""
        import psycopg

        if failed(self.conn):
            raise SystemFailure(f"system {self.connector.name}: the transaction failed; nothing committed")
        try:
            self.conn.connection.driver_connection.commit()  # type: ignore[union-attr]
        except psycopg.Error as exc:
            raise SystemFailure(f"system {self.connector.name}: {exc}") from exc

    def rollback(self) -> None:
        """Undo everything the transaction did."""
        if self.batches is not None and not self.conn.invalidated:
            import psycopg

            try:  # psycopg's own (nothing to send when idle); it forgets what it prepared meanwhile
                self.conn.connection.driver_connection.rollback()  # type: ignore[union-attr]
            except psycopg.Error:  # the connection is gone: the pool replaces it
                self.conn.invalidate()
        if self._tx is None:
            self.conn.rollback()  # SQLAlchemy's own bookkeeping of statements sent through it
        elif self._tx.is_active:
            self._tx.rollback()

    def close(self) -> None:
        """Roll back what is not committed and give the connection back to the pool."""
        try:
            self.rollback()
        finally:
            try:
                if self.batches is not None and not self.conn.invalidated:
                    self.conn.connection.driver_connection.autocommit = False  # type: ignore[union-attr]
            finally:
                self.conn.close()


Batches = Literal["read", "write"] | None
"""How a batched PostgreSQL session handles transactions (see Tx); None: SQLAlchemy does."""


def _status(conn: Connection) -> Any:
    """The transaction status of a PostgreSQL connection, as psycopg last saw the server."""
    return conn.connection.driver_connection.info.transaction_status  # type: ignore[union-attr]


def failed(conn: Connection) -> bool:
    """True when a PostgreSQL connection's transaction failed (only a rollback ends it)."""
    from psycopg.pq import TransactionStatus

    return bool(_status(conn) == TransactionStatus.INERROR)


def idle(conn: Connection) -> bool:
    """True when a PostgreSQL connection is outside any transaction."""
    from psycopg.pq import TransactionStatus

    return bool(_status(conn) == TransactionStatus.IDLE)


class SqlSession:
    """Batched reads and writes on one SQLAlchemy connection (see ConnectorSession)."""

    def __init__(self, connector: SqlConnector, conn: Connection, *, batches: Batches = None) -> None:
        self.connector = connector
        self.conn = conn
        self.batches = batches  # who opens and ends the transaction (see Tx)
        self.batched = connector.dialect == "postgresql"  # PostgreSQL's pipeline: a batch, one round trip

    def lookup(self, lookups: Sequence[Lookup], *,
               meanwhile: Callable[[], None] | None = None) -> list[list[Row]]:
        """The rows of each lookup (see `persondata.connectors.sql_batch`)."""
        from persondata.connectors.sql_batch import lookup

        return lookup(self, lookups, meanwhile=meanwhile)

    def write(self, writes: Sequence[Write], *, last: bool = False,
              meanwhile: Callable[[], None] | None = None, guards: Sequence[Guard] = ()) -> list[int]:
        """Apply changes in order, after the guards (see `persondata.connectors.sql_batch`)."""
        from persondata.connectors.sql_batch import write

        return write(self, writes, last=last, meanwhile=meanwhile, guards=guards)

    def apply(self, w: Write) -> int:
        """Apply one change through SQLAlchemy."""
        if w.kind == "delete":
            return self.delete(w.table, w.keys) if w.keys else 0
        if w.kind == "update":
            return self.update(w.table, w.keys, w.values)
        return self.update_rows(w.table, w.changes)

    def _pk(self, table: str) -> sa.Column[Any]:
        return self.connector.column(table, self.connector.primary_key(table))

    def coerced(self, table: str, column: str, values: Collection[Any]) -> list[Any]:
        """Values in a column's Python type, without None, in a stable order (DataMapError when the
        table has no such column)."""
        info = self.connector.columns(table).get(column)
        if info is None:
            self.connector.column(table, column)  # reflects again; names the column if it is missing
            info = self.connector.columns(table)[column]
        out = {_coerce(info, v) for v in values}
        out.discard(None)
        return sorted(out, key=repr)

    def _select(self, table: str, columns: Sequence[str] | None) -> sa.Select[Any]:
        t = self.connector.table(table)
        if columns is None:
            return sa.select(t)
        return sa.select(*(self.connector.column(table, c) for c in columns))

    @contextmanager
    def _statement(self) -> Iterator[None]:
        """Around one statement through SQLAlchemy: errors as SystemFailure, and the transaction
        the session manages itself (see Tx): opened first in a write, one of its own in a read."""
        try:
            if self.batches == "write" and idle(self.conn):
                self.conn.exec_driver_sql("BEGIN")
            if self.batches != "read":
                yield
                return
            self.conn.exec_driver_sql("BEGIN READ ONLY")
            try:
                yield
            except BaseException:
                self.conn.exec_driver_sql("ROLLBACK")
                raise
            self.conn.exec_driver_sql("COMMIT")
        except DBAPIError as exc:
            raise SystemFailure(f"system {self.connector.name}: {exc.orig}") from exc

    def rows(self, stmt: sa.Executable, params: Mapping[str, Any] | None = None) -> list[Row]:
        """Rows of one statement through SQLAlchemy, as dicts."""
        with self._statement():
            return [dict(r._mapping) for r in self.conn.execute(stmt, params)]

    def fetch(
        self, table: str, match: Mapping[str, Collection[Any]], columns: Sequence[str] | None = None
    ) -> list[Row]:
        """Rows where any column of `match` has one of its values; one query per chunk of 1,000.

        E-mail identity columns match whatever the case of the stored or given address."""
        return self.lookup([Lookup(table, match, columns=None if columns is None else tuple(columns))])[0]

    def fetch_keys(self, table: str, keys: Collection[Any]) -> list[Row]:
        """Rows by primary key."""
        return self.fetch(table, {self.connector.primary_key(table): keys})

    def scan(
        self,
        table: str,
        where: Sequence[Condition] = (),
        *,
        after: Any = None,
        limit: int = CHUNK,
        columns: Sequence[str] | None = None,
    ) -> list[Row]:
        """The next `limit` rows matching all conditions, in primary-key order after `after`."""
        pk = self._pk(table)
        conds = [self._condition(table, c) for c in where]
        if after is not None:
            conds.append(pk > after)
        if columns is not None and pk.name not in columns:
            columns = [pk.name, *columns]
        stmt = self._select(table, columns).where(*conds).order_by(pk).limit(limit)
        return self.rows(stmt)

    def _condition(self, table: str, cond: Condition) -> sa.ColumnElement[bool]:
        col = self.connector.column(table, cond.column)
        ops = {
            "<": lambda: col < cond.value, "<=": lambda: col <= cond.value,
            ">": lambda: col > cond.value, ">=": lambda: col >= cond.value,
            "=": lambda: col == cond.value, "!=": lambda: col != cond.value,
            "null": lambda: col.is_(None), "not_null": lambda: col.is_not(None),
            "in": lambda: col.in_(list(cond.value)),
        }
        if cond.op not in ops:
            raise InputError(f"unknown condition operator {cond.op!r}")
        return ops[cond.op]()

    def _write(self, stmt: sa.Executable, params: Any = None) -> int:
        with self._statement():
            return int(self.conn.execute(stmt, params).rowcount or 0)

    def delete(self, table: str, keys: Collection[Any]) -> int:
        """Delete rows by primary key, 1,000 keys per statement."""
        pk = self._pk(table)
        t = self.connector.table(table)
        values = self.coerced(table, pk.name, keys)
        return sum(self._write(sa.delete(t).where(pk.in_(c))) for c in chunks(values))

    def update(self, table: str, keys: Collection[Any], values: Mapping[str, Any]) -> int:
        """Set the same values on rows by primary key, 1,000 keys per statement."""
        if not values:
            return 0
        pk = self._pk(table)
        t = self.connector.table(table)
        cols = {self.connector.column(table, c).name: v for c, v in values.items()}
        keys_ = self.coerced(table, pk.name, keys)
        return sum(self._write(sa.update(t).where(pk.in_(c)).values(cols)) for c in chunks(keys_))

    def update_rows(self, table: str, changes: Sequence[tuple[Any, Mapping[str, Any]]]) -> int:
        """Set per-row values: one executemany per distinct set of columns."""
        pk = self._pk(table)
        t = self.connector.table(table)
        groups: dict[tuple[str, ...], list[tuple[Any, Mapping[str, Any]]]] = {}
        for key, vals in changes:
            if vals:
                groups.setdefault(tuple(sorted(vals)), []).append((key, vals))
        done = 0
        for cols, items in groups.items():
            binds: dict[str, Any] = {
                self.connector.column(table, c).name: sa.bindparam(f"p{i}") for i, c in enumerate(cols)}
            stmt = sa.update(t).where(pk == sa.bindparam("pk_")).values(binds)
            for part in chunks(items):
                params = [{"pk_": k, **{f"p{i}": v[c] for i, c in enumerate(cols)}} for k, v in part]
                self._write(stmt, params)
                done += len(part)
        return done
