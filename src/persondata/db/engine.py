"""Engines and sessions for persondata's own state (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from persondata.errors import InputError, SystemFailure


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Autocommit at the driver level; we issue BEGIN ourselves (see _sqlite_begin).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # BEGIN IMMEDIATE takes the write lock up front, so concurrent writers queue on the
    # busy timeout instead of failing with "database is locked" when a read upgrades.
    # Straight on the driver (every transaction begins here; SQLAlchemy's statement machinery
    # costs more than the BEGIN), its error wrapped as SQLAlchemy would.
    try:
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise DBAPIError.instance("BEGIN IMMEDIATE", None, exc, sqlite3.Error) from exc


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for persondata's state with the right settings per dialect."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InputError(f"database URL {url!r} is not a valid SQLAlchemy URL") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True, **kwargs)


class Database:
    """An engine plus a session factory; boundaries open transactions through it."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits when the block ends and rolls back on error."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            raise SystemFailure(f"state database failed: {exc.orig}") from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
