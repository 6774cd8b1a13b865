"""The SQL connector: any SQLAlchemy URL (tested on SQLite, PostgreSQL and MariaDB).

Tables are reflected once per connector and cached; identifiers are quoted by SQLAlchemy
and every value is a bound parameter — nothing from the policy is pasted into SQL text.
Access runs in read-only transactions (PostgreSQL: BEGIN READ ONLY; MariaDB/MySQL:
SET TRANSACTION READ ONLY; SQLite: a plain deferred transaction).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from persondata.connectors.protocol import CHUNK, ColumnInfo, Condition, DataMapError, Row, chunks
from persondata.errors import InputError, SystemFailure
from persondata.policy.loader import resolve_env
from persondata.policy.model import Policy, System


def resolve_url(system: str, text: str, env: Mapping[str, str] | None) -> str:
    """Fill `${VAR}` in a system URL from the environment (InputError names a missing variable)."""
    return resolve_env(text, env, where=f"systems.{system}.url")


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get("persondata_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def create_system_engine(url: str) -> Engine:
    """An engine for a company system with the right settings per dialect."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InputError(f"{url!r} is not a valid SQLAlchemy URL") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        engine = sa.create_engine(parsed, connect_args={"check_same_thread": False, "timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif parsed.drivername in ("mysql", "mariadb"):
        parsed = parsed.set(drivername=f"{parsed.drivername}+pymysql")
    # Optimistic disconnect handling: no ping before every checkout (a round trip per request);
    # a connection found dead fails that request once and the pool reconnects for the next.
    return sa.create_engine(parsed, pool_recycle=1800)


def _python_type(col: sa.Column[Any]) -> type | None:
    try:
        return col.type.python_type
    except NotImplementedError:
        return None


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


class SqlConnector:
    """A connector for one system reached through SQLAlchemy."""

    def __init__(self, name: str, url: str, system: System | None = None) -> None:
        self.name = name
        self.system = system
        self.engine = create_system_engine(url)
        self._metadata = sa.MetaData()
        self._tables: dict[str, sa.Table] = {}
        self._columns: dict[str, dict[str, ColumnInfo]] = {}
        self._statements: dict[tuple[str, tuple[str, ...], tuple[str, ...] | None], sa.Select[Any]] = {}
        self._pks: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def dialect(self) -> str:
        """The dialect name: sqlite, postgresql, mysql (MariaDB reports mysql)."""
        return self.engine.dialect.name

    def describe(self) -> str:
        """The URL without password, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    def _split(self, name: str) -> tuple[str | None, str]:
        schema, dot, table = name.rpartition(".")
        return (schema or None, table) if dot else (None, name)

    def reflect(self, names: Collection[str]) -> None:
        """Reflect the given tables at once (one pass per schema); missing ones raise DataMapError."""
        with self._lock:
            todo = [n for n in names if n not in self._tables]
            if not todo:
                return
            by_schema: dict[str | None, list[str]] = {}
            for n in todo:
                schema, table = self._split(n)
                by_schema.setdefault(schema, []).append(table)
            try:
                with self.engine.connect() as conn:
                    inspector = sa.inspect(conn)
                    for schema, tables in by_schema.items():
                        existing = set(inspector.get_table_names(schema=schema))
                        missing = [t for t in tables if t not in existing]
                        if missing:
                            raise DataMapError(
                                f"system {self.name}: table {', '.join(missing)} does not exist"
                                f" in {self.describe()}")
                        self._metadata.reflect(conn, schema=schema, only=tables, resolve_fks=False)
            except OperationalError as exc:
                raise SystemFailure(
                    f"system {self.name}: cannot reach {self.describe()}: {exc.orig}") from exc
            for n in todo:
                schema, table = self._split(n)
                key = f"{schema}.{table}" if schema else table
                self._tables[n] = self._metadata.tables[key]

    def table(self, name: str) -> sa.Table:
        """The reflected SQLAlchemy table (reflected on first use, then cached)."""
        found = self._tables.get(name)
        if found is None:
            wanted = [name]
            if self.system is not None:
                wanted += [t for t in self.system.tables if t not in self._tables and t != name]
            self.reflect(wanted)
            found = self._tables[name]
        return found

    def columns(self, table: str) -> dict[str, ColumnInfo]:
        """The columns of a table with their Python type, nullability and length."""
        cached = self._columns.get(table)
        if cached is None:
            t = self.table(table)
            cached = {
                c.name: ColumnInfo(name=c.name, python_type=_python_type(c), nullable=bool(c.nullable),
                                   length=getattr(c.type, "length", None), primary_key=c.primary_key)
                for c in t.columns
            }
            self._columns[table] = cached
        return cached

    def column(self, table: str, column: str) -> sa.Column[Any]:
        """A column of a table; DataMapError naming both when it does not exist."""
        t = self.table(table)
        if column not in t.c:
            raise DataMapError(f"system {self.name}: table {table} has no column {column!r}")
        return t.c[column]

    def match_statement(self, table: str, match: tuple[str, ...],
                        columns: tuple[str, ...] | None) -> sa.Select[Any]:
        """`SELECT ... WHERE a IN (:m0) OR b IN (:m1)` with expanding parameters, built once and cached."""
        key = (table, match, columns)
        stmt = self._statements.get(key)
        if stmt is None:
            t = self.table(table)
            cols = [t] if columns is None else [self.column(table, c) for c in columns]
            conds = [self.column(table, c).in_(sa.bindparam(f"m{i}", expanding=True))
                     for i, c in enumerate(match)]
            stmt = sa.select(*cols).where(sa.or_(*conds))
            self._statements[key] = stmt
        return stmt

    def primary_key(self, table: str) -> str:
        """The data map's primary key of a table (else the reflected one)."""
        known = self._pks.get(table)
        if known is not None:
            return known
        if self.system is not None and table in self.system.tables:
            self._pks[table] = self.system.tables[table].primary_key
            return self._pks[table]
        pk = list(self.table(table).primary_key.columns)
        if len(pk) != 1:
            raise DataMapError(f"system {self.name}: table {table} needs a single-column primary key")
        return pk[0].name

    def begin(self, *, write: bool = False) -> Tx:
        """Open a transaction (read-only unless write); the caller commits, rolls back and closes it."""
        return Tx(self, write)

    @contextmanager
    def connection(self, *, write: bool = False) -> Iterator[Connection]:
        """A SQLAlchemy connection in a transaction: read-only, or committed at the end when write."""
        tx = Tx(self, write)
        try:
            yield tx.conn
            tx.commit()
        except OperationalError as exc:
            raise SystemFailure(f"system {self.name}: {exc.orig}") from exc
        finally:
            tx.close()

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[SqlSession]:
        """A ConnectorSession: read-only, or one transaction committed at the end when write."""
        tx = Tx(self, write)
        try:
            yield tx.session
            tx.commit()
        except OperationalError as exc:
            raise SystemFailure(f"system {self.name}: {exc.orig}") from exc
        finally:
            tx.close()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


class Tx:
    """One open transaction on a system: use `.session`, then commit() (a read rolls back) and close()."""

    def __init__(self, connector: SqlConnector, write: bool) -> None:
        self.connector = connector
        self.write = write
        try:
            conn = connector.engine.connect()
        except OperationalError as exc:
            raise SystemFailure(
                f"system {connector.name}: cannot reach {connector.describe()}: {exc.orig}") from exc
        try:
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
        self.session = SqlSession(connector, conn)

    def commit(self) -> None:
        """Commit a write; a read is rolled back (it never changes anything)."""
        try:
            if self.write:
                self._tx.commit()
            else:
                self._tx.rollback()
        except DBAPIError as exc:
            raise SystemFailure(f"system {self.connector.name}: {exc.orig}") from exc

    def rollback(self) -> None:
        """Undo everything the transaction did."""
        if self._tx.is_active:
            self._tx.rollback()

    def close(self) -> None:
        """Roll back what is not committed and give the connection back to the pool."""
        try:
            self.rollback()
        finally:
            self.conn.close()


class SqlSession:
    """Batched reads and writes on one SQLAlchemy connection (see ConnectorSession)."""

    def __init__(self, connector: SqlConnector, conn: Connection) -> None:
        self.connector = connector
        self.conn = conn

    def _pk(self, table: str) -> sa.Column[Any]:
        return self.connector.column(table, self.connector.primary_key(table))

    def _coerced(self, table: str, column: str, values: Collection[Any]) -> list[Any]:
        info = self.connector.columns(table)[column]
        out = {_coerce(info, v) for v in values}
        out.discard(None)
        return sorted(out, key=repr)

    def _select(self, table: str, columns: Sequence[str] | None) -> sa.Select[Any]:
        t = self.connector.table(table)
        if columns is None:
            return sa.select(t)
        return sa.select(*(self.connector.column(table, c) for c in columns))

    def _rows(self, stmt: sa.Executable) -> list[Row]:
        try:
            return [dict(r._mapping) for r in self.conn.execute(stmt)]
        except DBAPIError as exc:
            raise SystemFailure(f"system {self.connector.name}: {exc.orig}") from exc

    def fetch(
        self, table: str, match: Mapping[str, Collection[Any]], columns: Sequence[str] | None = None
    ) -> list[Row]:
        """Rows where any column of `match` has one of its values; one query per chunk of 1,000."""
        pairs = [(c, v) for c, vals in match.items() for v in self._coerced(table, c, vals)]
        if not pairs:
            return []
        pk = self.connector.primary_key(table)
        seen: dict[Any, Row] = {}
        for chunk in chunks(pairs, CHUNK):
            by_col: dict[str, list[Any]] = {}
            for c, v in chunk:
                by_col.setdefault(c, []).append(v)
            wanted = None if columns is None else tuple(columns)
            stmt = self.connector.match_statement(table, tuple(by_col), wanted)
            params = {f"m{i}": vs for i, vs in enumerate(by_col.values())}
            try:
                result = self.conn.execute(stmt, params)
                for row in result.mappings():
                    seen.setdefault(row.get(pk, id(row)), dict(row))
            except DBAPIError as exc:
                raise SystemFailure(f"system {self.connector.name}: {exc.orig}") from exc
        return list(seen.values())

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
        return self._rows(stmt)

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
        try:
            result = self.conn.execute(stmt, params) if params is not None else self.conn.execute(stmt)
        except DBAPIError as exc:
            raise SystemFailure(f"system {self.connector.name}: {exc.orig}") from exc
        return int(result.rowcount or 0)

    def delete(self, table: str, keys: Collection[Any]) -> int:
        """Delete rows by primary key, 1,000 keys per statement."""
        pk = self._pk(table)
        t = self.connector.table(table)
        values = self._coerced(table, pk.name, keys)
        return sum(self._write(sa.delete(t).where(pk.in_(c))) for c in chunks(values))

    def update(self, table: str, keys: Collection[Any], values: Mapping[str, Any]) -> int:
        """Set the same values on rows by primary key, 1,000 keys per statement."""
        if not values:
            return 0
        pk = self._pk(table)
        t = self.connector.table(table)
        cols = {self.connector.column(table, c).name: v for c, v in values.items()}
        keys_ = self._coerced(table, pk.name, keys)
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


class Systems:
    """The connectors of a policy's systems, opened on first use and cached (one per system)."""

    def __init__(self, policy: Policy, env: Mapping[str, str] | None = None) -> None:
        self.policy = policy
        self.env = env
        self._connectors: dict[str, SqlConnector] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> SqlConnector:
        """The connector of a system (InputError when the policy has no such system)."""
        with self._lock:
            conn = self._connectors.get(name)
            if conn is None:
                system = self.policy.systems.get(name)
                if system is None:
                    raise InputError(f"the policy has no system {name!r}")
                conn = SqlConnector(name, resolve_url(name, system.url, self.env), system)
                self._connectors[name] = conn
            return conn

    def close(self) -> None:
        """Dispose every connector opened so far."""
        with self._lock:
            for conn in self._connectors.values():
                conn.dispose()
            self._connectors.clear()

    def __enter__(self) -> Systems:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
