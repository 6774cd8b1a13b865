"""Finding one subject's rows across every system of the data map.

1. Every table with identity columns is queried for the identities given (one query per
   table per 1,000 values, `col_a IN (...) OR col_b IN (...)`), then, in the same pass,
   tables that belong to the found rows (parents before children, so customer -> orders ->
   order_items is one pass). Systems are searched in parallel.
2. Identity expansion: every identity value in the rows found (the customer row found by
   e-mail also carries the phone number) is normalised and added; the next pass searches
   every table again for the new values only. This repeats until no new identity appears
   (a fixpoint), so a subject found by e-mail in one system is found by phone in another.
   Pass `expand=False` to search only the identities given.
3. References from the subject's rows are followed once to the rows they point at; those
   are reported, never erased.

Stored identities are matched by their normalised form plus common spellings (a phone
number as +4520123456, 004520123456, 4520123456, 20123456 and "20 12 34 56"); e-mail
addresses are matched whatever their case (the connector compares `lower(column)`, or
relies on a case-insensitive collation on MariaDB/MySQL), and e-mail addresses found in
rows are normalised (lower-cased) before the next pass.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, TypeVar

import phonenumbers

from persondata.connectors.graph import DataMap, TableRef
from persondata.connectors.protocol import Connector, ConnectorSession, Row
from persondata.errors import IdentityError
from persondata.identity import Identity, normalise

Reach = Literal["identity", "owned", "reference"]
T = TypeVar("T")
R = TypeVar("R")
_POOL: list[ThreadPoolExecutor] = []
_POOL_LOCK = threading.Lock()
_RANK: dict[Reach, int] = {"identity": 0, "owned": 1, "reference": 2}


def in_parallel(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """fn over items, one thread each (a shared pool of 8, started on first use); in order."""
    if len(items) < 2:
        return [fn(i) for i in items]
    with _POOL_LOCK:
        if not _POOL:
            _POOL.append(ThreadPoolExecutor(max_workers=8, thread_name_prefix="persondata-systems"))
    return list(_POOL[0].map(fn, items))


@lru_cache(maxsize=4096)
def variants(identity: Identity) -> frozenset[str]:
    """The spellings of a normalised identity to look for in stored data."""
    return frozenset(_variants(identity))


def _variants(identity: Identity) -> set[str]:
    out = {identity.value}
    if identity.kind == "phone":
        try:
            num = phonenumbers.parse(identity.value, None)
        except phonenumbers.NumberParseException:
            return out
        national = str(num.national_number)
        out |= {
            national,
            f"{num.country_code}{national}",
            f"00{num.country_code}{national}",
            phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL),
            phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
        }
    return out


@dataclass
class FoundTable:
    """Rows of one table found for the subject, by primary key, with how each was reached."""

    ref: TableRef
    primary_key: str
    rows: dict[Any, Row] = field(default_factory=dict)
    reach: dict[Any, Reach] = field(default_factory=dict)

    def add(self, row: Row, reach: Reach) -> bool:
        """Add a row; True when it is new. Identity beats owned beats reference."""
        key = row[self.primary_key]
        old = self.reach.get(key)
        if old is None:
            self.rows[key] = row
            self.reach[key] = reach
            return True
        if _RANK[reach] < _RANK[old]:
            self.reach[key] = reach
        return False


@dataclass
class Discovery:
    """Everything found for one subject."""

    requested: list[Identity]
    identities: list[Identity]
    tables: dict[TableRef, FoundTable]  # the subject's rows (reached by identity or ownership)
    references: dict[TableRef, FoundTable]  # rows only pointed at (reported, never erased)
    queries: int = 0
    passes: int = 0

    def row_count(self) -> int:
        """How many of the subject's own rows were found."""
        return sum(len(t.rows) for t in self.tables.values())


@dataclass
class _State:
    dm: DataMap
    known: dict[str, set[str]]
    asked: dict[tuple[TableRef, str], set[str]] = field(default_factory=dict)
    found: dict[TableRef, FoundTable] = field(default_factory=dict)
    queries: int = 0


def _pass(state: _State, system: str, session: ConnectorSession, pk: dict[TableRef, str]) -> int:
    """One pass over a system (parents before children); returns the number of queries made."""
    queries = 0
    for ref in state.dm.order(system):
        spec = state.dm.spec(ref)
        match: dict[str, set[Any]] = {}
        id_values: dict[str, set[str]] = {}
        kinds: dict[str, str] = {}
        for kind, column in spec.identities.items():
            wanted: set[str] = set()
            for value in state.known.get(kind, ()):
                wanted |= variants(Identity(kind, value))
            new = wanted - state.asked.setdefault((ref, column), set())
            if new:
                match.setdefault(column, set()).update(new)
                id_values[column] = new
                kinds[column] = kind
        for edge in state.dm.owners(ref):
            parent = state.found.get(edge.parent)
            if parent is None:
                continue
            vals = {str(r[edge.parent_column]) for r in parent.rows.values()
                    if r.get(edge.parent_column) is not None}
            new = vals - state.asked.setdefault((ref, edge.column), set())
            if new:
                match.setdefault(edge.column, set()).update(new)
        if not match:
            continue
        rows = session.fetch(ref.table, match)
        queries += 1 + (sum(len(v) for v in match.values()) - 1) // 1000
        for column, vals in match.items():
            state.asked[(ref, column)] |= {str(v) for v in vals}
        table = state.found.setdefault(ref, FoundTable(ref, pk[ref]))
        for row in rows:
            by_identity = any(_stored(kinds[c], row.get(c)) in vals for c, vals in id_values.items())
            table.add(row, "identity" if by_identity else "owned")
    return queries


def _stored(kind: str, value: Any) -> str:
    """A stored identity value as it is compared with the spellings looked for (e-mail: lower case)."""
    text = str(value)
    return text.lower() if kind == "email" else text


def _gather(dm: DataMap, found: dict[TableRef, FoundTable], country: str,
            seen: dict[tuple[str, str], str | None]) -> dict[str, set[str]]:
    """Every identity value in the rows found, normalised (values that do not parse are skipped)."""
    out: dict[str, set[str]] = {}
    for ref, table in found.items():
        for kind, column in dm.spec(ref).identities.items():
            for row in table.rows.values():
                raw = row.get(column)
                if raw is None:
                    continue
                key = (kind, str(raw))
                if key not in seen:
                    try:
                        seen[key] = normalise(kind, key[1], country) if key[1].strip() else None
                    except IdentityError:
                        seen[key] = None
                value = seen[key]
                if value is not None:
                    out.setdefault(kind, set()).add(value)
    return out


def discover(
    dm: DataMap,
    connector_for: Any,
    identities: Iterable[Identity],
    *,
    country: str = "DK",
    expand: bool = True,
    systems: Collection[str] | None = None,
    parallel: bool = True,
    session_for: Callable[[str], ConnectorSession] | None = None,
    shared_by: Callable[[str], Any] | None = None,
) -> Discovery:
    """Find a subject's rows in every system: identities, ownership, expansion, references.

    Each system is read in a read-only transaction, unless `session_for` hands out the
    sessions to use (e.g. the write transactions an erasure then changes the rows in);
    `shared_by` then names the connection each system's session uses, so that systems on one
    connection are never searched at the same time.
    """
    requested = sorted(set(identities))
    state = _State(dm, {})
    for ident in requested:
        state.known.setdefault(ident.kind, set()).add(ident.value)
    names = [s for s in dm.systems() if systems is None or s in systems]
    kinds = {k for ref, t in dm.tables.items() for k in t.identities if ref.system in names}
    with ExitStack() as stack:
        sessions: dict[str, ConnectorSession] = {}
        pks: dict[TableRef, str] = {}

        def session_of(system: str) -> ConnectorSession:
            if system not in sessions:
                conn: Connector = connector_for(system)
                sessions[system] = (session_for(system) if session_for is not None
                                    else stack.enter_context(conn.session(write=False)))
                for ref in dm.system_tables(system):
                    pks[ref] = conn.primary_key(ref.table)
            return sessions[system]

        passes = 0
        normalised: dict[tuple[str, str], str | None] = {}
        while True:
            active = [s for s in names if _has_work(state, s)]
            if not active:
                break
            passes += 1
            for s in active:
                session_of(s)
            groups: dict[Any, list[str]] = {}
            for s in active:  # systems sharing a connection are searched one after the other
                groups.setdefault(shared_by(s) if shared_by is not None else s, []).append(s)

            def run(names: list[str]) -> int:
                return sum(_pass(state, s, sessions[s], pks) for s in names)

            if parallel and len(groups) > 1:
                state.queries += sum(in_parallel(run, list(groups.values())))
            else:
                state.queries += sum(run(names) for names in groups.values())
            if expand:
                for kind, values in _gather(dm, state.found, country, normalised).items():
                    if kind in kinds:
                        state.known.setdefault(kind, set()).update(values)
        subject = {r: t for r, t in state.found.items() if t.rows}
        references = _follow_references(dm, subject, sessions, session_of, pks, state)
    found_ids = sorted(Identity(k, v) for k, vals in state.known.items() for v in vals)
    return Discovery(requested, found_ids, subject, references, state.queries, passes)


def _has_work(state: _State, system: str) -> bool:
    for ref in state.dm.system_tables(system):
        spec = state.dm.spec(ref)
        for kind, column in spec.identities.items():
            asked = state.asked.get((ref, column), set())
            if any(not variants(Identity(kind, v)) <= asked for v in state.known.get(kind, ())):
                return True
        for edge in state.dm.owners(ref):
            parent = state.found.get(edge.parent)
            if parent is None:
                continue
            asked = state.asked.get((ref, edge.column), set())
            if any(r.get(edge.parent_column) is not None and str(r[edge.parent_column]) not in asked
                   for r in parent.rows.values()):
                return True
    return False


def _follow_references(
    dm: DataMap,
    subject: dict[TableRef, FoundTable],
    sessions: dict[str, ConnectorSession],
    session_of: Any,
    pks: dict[TableRef, str],
    state: _State,
) -> dict[TableRef, FoundTable]:
    wanted: dict[TableRef, dict[str, set[Any]]] = {}
    for ref, table in subject.items():
        for edge in dm.references_from(ref):
            vals = {r[edge.column] for r in table.rows.values() if r.get(edge.column) is not None}
            if vals:
                wanted.setdefault(edge.parent, {}).setdefault(edge.parent_column, set()).update(vals)
    out: dict[TableRef, FoundTable] = {}
    for ref, match in wanted.items():
        rows = session_of(ref.system).fetch(ref.table, match)
        state.queries += 1
        own = subject.get(ref)
        table = FoundTable(ref, pks[ref])
        for row in rows:
            if own is None or row[pks[ref]] not in own.rows:
                table.add(row, "reference")
        if table.rows:
            out[ref] = table
    return out
