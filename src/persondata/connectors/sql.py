"""The SQL connector: any SQLAlchemy URL (tested on SQLite, PostgreSQL and MariaDB).

Engines and reflected tables are shared by every connector of the process for the same
URL (`persondata.connectors.engines`: a `Systems` per request stays warm); identifiers are
quoted by SQLAlchemy and every value is a bound parameter — nothing from the policy is pasted into SQL text.
Access runs in read-only transactions (MariaDB/MySQL: SET TRANSACTION READ ONLY; SQLite: a
plain deferred transaction, rolled back). On PostgreSQL a read session's batches of lookups
are each their own implicit transaction, and anything else it runs goes inside BEGIN READ
ONLY (see `Tx`); `begin()`/`connection()` reads are BEGIN READ ONLY transactions.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SAWarning

from persondata.connectors.engines import SharedEngine, engines
from persondata.connectors.protocol import ColumnInfo, DataMapError
from persondata.connectors.sql_session import SqlSession, Tx
from persondata.errors import InputError, SystemFailure
from persondata.policy.loader import resolve_env
from persondata.policy.model import Policy, System

__all__ = ["SqlConnector", "SqlSession", "Systems", "Tx", "create_system_engine", "quiet_reflection",
           "resolve_url"]


def resolve_url(system: str, text: str, env: Mapping[str, str] | None) -> str:
    """Fill `${VAR}` in a system URL from the environment (InputError names a missing variable)."""
    return resolve_env(text, env, where=f"systems.{system}.url")


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _postgresql_connect(dbapi_conn: Any, _record: Any) -> None:
    # Lookups compare with `= ANY(array)`: PostgreSQL would plan such a prepared statement anew
    # on every run (its custom plan looks cheaper than the generic one); the generic plan is as
    # good for lookups by index and saves the planning (about 0.2 ms a query).
    import psycopg

    if dbapi_conn.info.server_version >= 120000:
        try:
            with dbapi_conn.cursor() as cur:
                cur.execute("SET plan_cache_mode = force_generic_plan")
            dbapi_conn.commit()
        except psycopg.Error:  # a PostgreSQL look-alike without the setting: plan as it likes
            dbapi_conn.rollback()


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
    # LIFO: the most recently used connection, whose prepared statements are warm, goes first.
    engine = sa.create_engine(parsed, pool_recycle=1800, pool_use_lifo=True)
    if parsed.get_backend_name() == "postgresql":
        sa.event.listen(engine, "connect", _postgresql_connect)
    return engine


def case_sensitive_collation(collation: str | None) -> bool:
    """True for a MySQL/MariaDB collation that tells `A` from `a` (`*_bin`, `*_cs`, binary)."""
    name = (collation or "").lower()
    return name == "binary" or name.endswith("_bin") or "_cs" in name


@contextmanager
def quiet_reflection() -> Iterator[None]:
    """Reflect without SQLAlchemy's warning about SQLite expression indexes (e.g. `lower(email)`)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index",
                                SAWarning)
        yield


def _python_type(col: sa.Column[Any]) -> type | None:
    try:
        return col.type.python_type
    except NotImplementedError:
        return None


class SqlConnector:
    """A connector for one system reached through SQLAlchemy.

    With `shared=True` (what `Systems` does) the engine and the reflected tables come from the
    process-wide cache and `dispose()` leaves them to it; else the connector has its own.
    """

    def __init__(self, name: str, url: str, system: System | None = None, *, shared: bool = False) -> None:
        self.name = name
        self.system = system
        self.shared = shared
        self._db: SharedEngine = (engines().get(url, create_system_engine) if shared
                                  else SharedEngine(create_system_engine(url)))
        self.engine = self._db.engine
        self._columns: dict[str, dict[str, ColumnInfo]] = {}
        self._pks: dict[str, str] = {}
        self.cache = self._db.statements  # built statements by shape (persondata.connectors.sql_batch)
        self._folded: dict[str, frozenset[str]] = {}
        self._emails: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()

    @property
    def dialect(self) -> str:
        """The dialect name: sqlite, postgresql, mysql (MariaDB reports mysql)."""
        return self.engine.dialect.name

    @property
    def database(self) -> str:
        """The database the system lives in (systems may share one), as a key."""
        return self._db.key

    def describe(self) -> str:
        """The URL without password, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    def _split(self, name: str) -> tuple[str | None, str]:
        schema, dot, table = name.rpartition(".")
        return (schema or None, table) if dot else (None, name)

    def reflect(self, names: Collection[str]) -> None:
        """Reflect the given tables at once (one pass per schema); missing ones raise DataMapError."""
        db = self._db
        with db.lock:
            todo = [n for n in names if n not in db.tables]
            if not todo:
                return
            by_schema: dict[str | None, list[str]] = {}
            for n in todo:
                schema, table = self._split(n)
                by_schema.setdefault(schema, []).append(table)
            try:
                with self.engine.connect() as conn, quiet_reflection():
                    inspector = sa.inspect(conn)
                    for schema, tables in by_schema.items():
                        existing = set(inspector.get_table_names(schema=schema))
                        missing = [t for t in tables if t not in existing]
                        if missing:
                            raise DataMapError(
                                f"system {self.name}: table {', '.join(missing)} does not exist"
                                f" in {self.describe()}")
                        db.metadata.reflect(conn, schema=schema, only=tables, resolve_fks=False)
            except OperationalError as exc:
                raise SystemFailure(
                    f"system {self.name}: cannot reach {self.describe()}: {exc.orig}") from exc
            for n in todo:
                schema, table = self._split(n)
                key = f"{schema}.{table}" if schema else table
                db.tables[n] = db.metadata.tables[key]

    def table(self, name: str) -> sa.Table:
        """The reflected SQLAlchemy table (reflected on first use, then cached)."""
        known = self._db.tables
        found = known.get(name)
        if found is None:
            wanted = [name]
            if self.system is not None:
                wanted += [t for t in self.system.tables if t not in known and t != name]
            self.reflect(wanted)
            found = known[name]
        return found

    def refresh(self, table: str) -> None:
        """Reflect a table again on its next use (its columns changed since it was reflected)."""
        self._db.forget(table)
        with self._lock:
            self._columns.pop(table, None)
            self._folded.pop(table, None)
            self._pks.pop(table, None)

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
        if column not in t.c:  # perhaps added since the table was reflected
            self.refresh(table)
            t = self.table(table)
        if column not in t.c:
            raise DataMapError(f"system {self.name}: table {table} has no column {column!r}")
        return t.c[column]

    def email_columns(self, table: str) -> frozenset[str]:
        """The table's e-mail identity columns: matched case-insensitively (values lower-cased)."""
        known = self._emails.get(table)
        if known is None:
            spec = self.system.tables.get(table) if self.system is not None else None
            known = self._emails[table] = frozenset(
                c for k, c in spec.identities.items() if k == "email") if spec else frozenset()
        return known

    def folded(self, table: str) -> frozenset[str]:
        """Columns compared as `lower(column)`: e-mail identities on PostgreSQL and SQLite, and on
        MariaDB/MySQL only under a case-sensitive collation (the default collations ignore case,
        so a plain comparison there already matches and uses a plain index)."""
        known = self._folded.get(table)
        if known is None:
            emails = self.email_columns(table)
            if self.dialect in ("mysql", "mariadb") and emails:
                t = self.table(table)
                default = t.kwargs.get("mysql_collate") or t.kwargs.get("mariadb_collate")
                emails = frozenset(c for c in emails if c in t.c and case_sensitive_collation(
                    getattr(t.c[c].type, "collation", None) or default))
            known = self._folded[table] = emails
        return known

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
        """Open a transaction (read-only unless write) for ConnectorSessions (`tx.session`,
        `tx.session_for`); the caller commits, rolls back and closes it."""
        return Tx(self, write, batched=True)

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
        tx = Tx(self, write, batched=True)
        try:
            yield tx.session
            tx.commit()
        except OperationalError as exc:
            raise SystemFailure(f"system {self.name}: {exc.orig}") from exc
        finally:
            tx.close()

    def dispose(self) -> None:
        """Close every pooled connection (a shared engine stays open for the process's other users)."""
        if not self.shared:
            self.engine.dispose()


class Systems:
    """The connectors of a policy's systems, opened on first use and cached (one per system).

    Their engines and reflected tables are the process's shared ones: a new `Systems` per
    request costs no engine, connection or reflection after the first; closing it leaves them
    open for others (`persondata.connectors.engines.clear()` disposes them)."""

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
                conn = SqlConnector(name, resolve_url(name, system.url, self.env), system, shared=True)
                self._connectors[name] = conn
            return conn

    def close(self) -> None:
        """Let go of every connector opened so far (shared engines stay open)."""
        with self._lock:
            for conn in self._connectors.values():
                conn.dispose()
            self._connectors.clear()

    def __enter__(self) -> Systems:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
