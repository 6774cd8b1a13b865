"""Statements on hot paths, run straight on the driver's cursor in the session's transaction.

Every access and erasure request reads the restrictions, the active holds and the audit
chain's head and appends an audit entry. Through SQLAlchemy each such statement costs about
40 µs of bookkeeping, more than SQLite takes to run it. A `HotStatement` is a Core statement
compiled once per dialect; running it binds the values through the column types' own bind and
result processors (so a time is stored and read exactly as SQLAlchemy would) and executes the
compiled text on the session connection's DBAPI cursor.

Only plain statements: no expanding `IN` parameters (build one per list length instead).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ClauseElement
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # parameter names, in order when the paramstyle is positional
    positional: bool
    binds: dict[str, Processor]
    fixed: dict[str, Any]  # values the statement carries itself (a LIMIT)
    results: tuple[Processor, ...]
    row: Callable[..., tuple[Any, ...]]  # a named tuple of the selected columns


class HotStatement:
    """A Core statement compiled once per dialect and run on the session's DBAPI connection."""

    def __init__(self, stmt: ClauseElement) -> None:
        self.stmt = stmt
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            c: Any = self.stmt.compile(dialect=dialect)
            names = tuple(c.positiontup) if c.positional else tuple(c.binds)
            binds = {n: c.binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names}
            fixed = {n: c.binds[n].value for n in names if not c.binds[n].required}
            columns = getattr(self.stmt, "selected_columns", ())
            results = tuple(col.type.dialect_impl(dialect).result_processor(dialect, None) for col in columns)
            row = namedtuple("Row", [col.key for col in columns], rename=True)  # type: ignore[misc]
            found = self._compiled[dialect.name] = _Compiled(c.string, names, c.positional, binds, fixed,
                                                             results, row)
        return found

    def _params(self, c: _Compiled, values: Mapping[str, Any]) -> Any:
        merged = {**c.fixed, **values} if c.fixed else values
        bound = {n: (p(merged[n]) if p is not None else merged[n]) for n, p in c.binds.items()}
        return [bound[n] for n in c.names] if c.positional else bound

    def rows(self, session: Session, values: Mapping[str, Any]) -> list[Any]:
        """The rows the statement returns (named tuples), each value through its column's result
        processor."""
        conn = session.connection()
        c = self._compile(conn.dialect)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(c.sql, self._params(c, values))
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        if not any(c.results):
            return [c.row(*r) for r in fetched]
        return [c.row(*(p(v) if p is not None else v for p, v in zip(c.results, r, strict=True)))
                for r in fetched]

    def execute(self, session: Session, values: Sequence[Mapping[str, Any]]) -> None:
        """Run the statement once per set of values (an insert of several rows is one executemany)."""
        conn = session.connection()
        c = self._compile(conn.dialect)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            params = [self._params(c, v) for v in values]
            if len(params) == 1:
                cursor.execute(c.sql, params[0])
            elif params:
                cursor.executemany(c.sql, params)
        finally:
            cursor.close()


def savepoint(session: Session, name: str, action: str = "SAVEPOINT") -> None:
    """SAVEPOINT `name` (or RELEASE SAVEPOINT / ROLLBACK TO SAVEPOINT with `action`) on the
    session's connection, without SQLAlchemy's bookkeeping: only around hot statements, which
    leave the session's objects alone."""
    if action not in ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT") or not name.isidentifier():
        raise ValueError(f"not a savepoint statement: {action} {name}")
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"{action} {name}")
    finally:
        cursor.close()
