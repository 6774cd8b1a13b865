"""The Connector protocol: what the DSR and retention engines need from one company system.

A connector speaks for one system of the data map (one database). Work happens in a
`ConnectorSession`, opened read-only for access and as one transaction for changes:

    with connector.session(write=True) as s:          # commits at the end of the block
        rows = s.fetch("orders", {"customer_id": [7, 9]})
        s.delete("orders", [row["id"] for row in rows])

Tables and columns are named by their data-map keys; values are Python values and are
always passed as bound parameters. Every method works on batches: a single call covers any
number of keys (the implementation splits them into chunks of at most `CHUNK` values).
`lookup` and `write` take several tables at once; a session whose `batched` is true sends
them in one round trip, and a `Via` then finds children through their parents' lookup:

    jane = Lookup("customer", {"email": ["jane@example.dk"]})
    orders = Lookup("orders", via=(Via("customer_id", jane, "id"),))
    customers, her_orders = s.lookup([jane, orders])
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from persondata.errors import InputError, PersondataError

Row = dict[str, Any]
"""One row: column name -> Python value."""

CHUNK = 1000
"""At most this many values in one `IN (...)` list."""

Op = Literal["<", "<=", ">", ">=", "=", "!=", "null", "not_null", "in"]


class DataMapError(InputError):
    """The data map names a table or column the system does not have."""


@dataclass(frozen=True)
class ColumnInfo:
    """What a connector knows about one column."""

    name: str
    python_type: type | None  # int, str, date, datetime, Decimal, bool, bytes... or None if unknown
    nullable: bool
    length: int | None  # maximum length of a string column
    primary_key: bool = False

    @property
    def is_text(self) -> bool:
        """True for string columns."""
        return self.python_type is str


@dataclass(frozen=True)
class Condition:
    """One condition of a scan: `column op value` (all conditions of a scan are ANDed)."""

    column: str
    op: Op
    value: Any = None


@dataclass(frozen=True, eq=False)
class Via:
    """`column IN (SELECT source_column FROM <the source lookup's rows>)`: rows reached through
    another lookup of the same batch, without waiting for its rows first."""

    column: str
    source: Lookup
    source_column: str


@dataclass(frozen=True, eq=False)
class Lookup:
    """Rows of a table where any column of `match` has one of its values, or that a `via` reaches."""

    table: str
    match: Mapping[str, Collection[Any]] = field(default_factory=dict)
    via: tuple[Via, ...] = ()
    columns: tuple[str, ...] | None = None  # the columns to read (all when None)

    def statements(self) -> int:
        """How many queries the lookup takes: one per chunk of literal values, one per via path."""
        values = sum(len(v) for v in self.match.values())
        return -(-values // CHUNK) + sum(v.source.statements() for v in self.via)


@dataclass(frozen=True, eq=False)
class Write:
    """One batched change of rows by primary key: `delete` them, `update` them all with the same
    `values`, or `update_rows` with per-row `changes` ((key, {column: value}), ...)."""

    table: str
    kind: Literal["delete", "update", "update_rows"]
    keys: Sequence[Any] = ()
    values: Mapping[str, Any] = field(default_factory=dict)
    changes: Sequence[tuple[Any, Mapping[str, Any]]] = ()


@dataclass(frozen=True, eq=False)
class Guard:
    """A lookup that must find no row beyond `known` (primary keys) for changes to stand: the
    identity-expansion pass of a search, checked together with the changes it would confirm."""

    lookup: Lookup
    known: Collection[Any]


class StaleFinds(PersondataError):
    """A guard found rows its search had not found; the changes it was sent with were not made."""


class ConnectorSession(Protocol):
    """Reads and changes inside one transaction of one system."""

    batched: bool
    """True when lookups given together cost one round trip (then a `Via` saves round trips)."""

    def lookup(self, lookups: Sequence[Lookup], *,
               meanwhile: Callable[[], None] | None = None) -> list[list[Row]]:
        """The rows of each lookup (each row once per lookup), all sent together where possible;
        `meanwhile` (the caller's own work) runs once, while they are on their way where the
        connector can overlap them, else after them."""
        ...

    def write(self, writes: Sequence[Write], *, last: bool = False,
              meanwhile: Callable[[], None] | None = None, guards: Sequence[Guard] = ()) -> list[int]:
        """Apply changes in order (all sent together where possible); the rows each one changed.

        `last=True`: nothing follows in this transaction but its commit, so the connector may
        commit it with the changes (in the same round trip); the caller still calls commit.
        `meanwhile` is the caller's own work: run once, while the changes are on their way
        where the connector can overlap them, else after them. `guards` are checked first: when
        one finds a row it does not know, StaleFinds is raised and the transaction is left
        for the caller to roll back, with none of the changes made."""
        ...

    def fetch(
        self, table: str, match: Mapping[str, Collection[Any]], columns: Sequence[str] | None = None
    ) -> list[Row]:
        """Rows where ANY column of `match` has one of its values (one query per chunk)."""
        ...

    def fetch_keys(self, table: str, keys: Collection[Any]) -> list[Row]:
        """Rows by primary key."""
        ...

    def scan(
        self,
        table: str,
        where: Sequence[Condition] = (),
        *,
        after: Any = None,
        limit: int = CHUNK,
        columns: Sequence[str] | None = None,
    ) -> list[Row]:
        """The next `limit` rows matching every condition, in primary-key order after `after`."""
        ...

    def delete(self, table: str, keys: Collection[Any]) -> int:
        """Delete rows by primary key; returns how many were deleted."""
        ...

    def update(self, table: str, keys: Collection[Any], values: Mapping[str, Any]) -> int:
        """Set the same values on rows by primary key; returns how many were matched."""
        ...

    def update_rows(self, table: str, changes: Sequence[tuple[Any, Mapping[str, Any]]]) -> int:
        """Set per-row values (key, {column: value}); one batched statement per column set."""
        ...


class Connector(Protocol):
    """One company system."""

    name: str

    @property
    def dialect(self) -> str:
        """The database dialect name (sqlite, postgresql, mysql...)."""
        ...

    def columns(self, table: str) -> dict[str, ColumnInfo]:
        """The columns of a table (reflected once and cached)."""
        ...

    def primary_key(self, table: str) -> str:
        """The primary-key column of a table as the data map declares it."""
        ...

    def session(self, *, write: bool = False) -> AbstractContextManager[ConnectorSession]:
        """A read-only transaction, or with write=True one transaction committed at the end."""
        ...

    def dispose(self) -> None:
        """Close pooled connections."""
        ...


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    """Split a sequence into slices of at most `size`."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
