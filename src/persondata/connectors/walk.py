"""Finding one subject's rows across every system of the data map.

1. Every table with identity columns is queried for the identities given (one query per
   table per 1,000 values, `col_a IN (...) OR col_b IN (...)`), then, in the same pass,
   tables that belong to the found rows (parents before children, so customer -> orders ->
   order_items is one pass). Systems are searched in parallel. Where a connector sends
   lookups together (PostgreSQL's pipeline), a pass is one round trip: children are looked
   up through their parents' lookups by subquery, and so are the rows the subject's rows
   refer to; elsewhere each table is queried after its parents, with their keys.
2. Identity expansion: every identity value in the rows found (the customer row found by
   e-mail also carries the phone number) is normalised and added; the next pass searches
   every table again for the new values only. This repeats until no new identity appears
   (a fixpoint), so a subject found by e-mail in one system is found by phone in another.
   Pass `expand=False` to search only the identities given.
3. References from the subject's rows are followed once to the rows they point at; those
   are reported, never erased. A caller that needs only which rows they are (an erasure
   reports them; it never reads them) passes `read_references=False`: a reference to a
   primary key is then reported by the key the subject's row holds, without a lookup.
4. The caller's own work can run while lookups are on their way (PostgreSQL's pipeline):
   `meanwhile` during the first pass, `ahead` during each expansion pass on what has been found
   so far (an erasure plans, an access request writes its Art. 15 document); when expansion
   finds nothing new, that work stands.
5. A caller that changes what it found can take the last expansion pass along with its changes
   (`defer`): when every system still to be searched shares one connection that sends lookups
   together, and the pass would only search tables searched before (a second record of the
   subject in the same table is rare; a table only the new identity reaches is searched
   normally), the pass is not run but returned as `Discovery.guards`, lookups that must find
   no row beyond those found. The changes go with them in one round trip; when a guard finds
   more, the transaction is rolled back and the caller searches again without deferring.

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
from functools import partial
from typing import Any, TypeVar

from persondata.connectors.found import Discovery, FoundTable
from persondata.connectors.graph import DataMap, Edge, TableRef
from persondata.connectors.protocol import Connector, ConnectorSession, Guard, Lookup, Row, Via
from persondata.connectors.spellings import spellings
from persondata.errors import IdentityError
from persondata.identity import Identity, normalise

T = TypeVar("T")
R = TypeVar("R")
_POOL: list[ThreadPoolExecutor] = []
_POOL_LOCK = threading.Lock()


def in_parallel(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """fn over items, one thread each (a shared pool of 8, started on first use); in order."""
    if len(items) < 2:
        return [fn(i) for i in items]
    with _POOL_LOCK:
        if not _POOL:
            _POOL.append(ThreadPoolExecutor(max_workers=8, thread_name_prefix="persondata-systems"))
    return list(_POOL[0].map(fn, items))


@dataclass
class _State:
    dm: DataMap
    known: dict[str, set[str]]
    asked: dict[tuple[TableRef, str], set[str]] = field(default_factory=dict)
    found: dict[TableRef, FoundTable] = field(default_factory=dict)
    referenced: dict[TableRef, FoundTable] = field(default_factory=dict)  # rows fetched by reference
    referenced_asked: dict[tuple[TableRef, str], set[str]] = field(default_factory=dict)  # their keys
    queries: int = 0
    round_trips: int = 0
    read_references: bool = True
    searched: set[TableRef] = field(default_factory=set)  # tables looked up for the subject so far


@dataclass
class _Planned:
    """One table's lookup in a pass, and what it asks for."""

    lookup: Lookup
    id_values: dict[str, set[str]]  # identity column -> spellings looked for
    kinds: dict[str, str]  # identity column -> identity kind
    vias: list[Edge]  # ownership edges followed through the parent's lookup of the same pass
    reference: bool = False  # a lookup of rows the subject's rows point at


def _plan_table(state: _State, ref: TableRef, planned: dict[TableRef, _Planned],
                batched: bool) -> _Planned | None:
    """The lookup of one table in this pass: new identity values, new parent keys, and (when the
    session sends lookups together) the parents looked up in this same pass, by subquery."""
    spec = state.dm.spec(ref)
    match: dict[str, set[Any]] = {}
    id_values: dict[str, set[str]] = {}
    kinds: dict[str, str] = {}
    for kind, column in spec.identities.items():
        wanted: set[str] = set()
        for value in state.known.get(kind, ()):
            wanted |= spellings(kind, value)
        new = wanted - state.asked.setdefault((ref, column), set())
        if new:
            match.setdefault(column, set()).update(new)
            id_values[column] = new
            kinds[column] = kind
    vias: list[Edge] = []
    for edge in state.dm.owners(ref):
        parent = state.found.get(edge.parent)
        if parent is not None:
            vals = {str(r[edge.parent_column]) for r in parent.rows.values()
                    if r.get(edge.parent_column) is not None}
            new = vals - state.asked.setdefault((ref, edge.column), set())
            if new:
                match.setdefault(edge.column, set()).update(new)
        # A parent with no rows yet is looked up in this pass: follow it by subquery rather
        # than a pass later (a parent that has rows is probably being found again).
        if batched and edge.parent in planned and not (parent and parent.rows):
            vias.append(edge)
    if not match and not vias:
        return None
    via = tuple(Via(e.column, planned[e.parent].lookup, e.parent_column) for e in vias)
    return _Planned(Lookup(ref.table, match, via), id_values, kinds, vias)


def _plan_references(state: _State, planned: dict[TableRef, _Planned]) -> dict[TableRef, _Planned]:
    """Rows that the rows looked up in this pass point at, by subquery (fetched with them)."""
    out: dict[TableRef, list[Edge]] = {}
    for ref in planned:
        if not ((found := state.found.get(ref)) and found.rows):
            for edge in state.dm.references_from(ref):
                out.setdefault(edge.parent, []).append(edge)
    return {parent: _Planned(Lookup(parent.table, {}, tuple(
        Via(e.parent_column, planned[e.child].lookup, e.column) for e in edges)), {}, {}, edges, True)
        for parent, edges in out.items()}


def _pass(state: _State, system: str, session: ConnectorSession, pk: dict[TableRef, str],
          meanwhile: Callable[[], None] | None = None) -> tuple[int, int]:
    """One pass over a system, parents before children; returns the queries and round trips made.

    A session that sends lookups together gets every table's lookup at once (children through
    their parents' lookups by subquery); else each table is looked up in turn, after its parents.
    `meanwhile` runs while the lookups are on their way (or after the first)."""
    batched = session.batched
    planned: dict[TableRef, _Planned] = {}
    queries = 0
    for ref in state.dm.order(system):
        p = _plan_table(state, ref, planned, batched)
        if p is None:
            continue
        planned[ref] = p
        if not batched:
            queries += _absorb(state, pk, [(ref, p)], session.lookup([p.lookup], meanwhile=meanwhile))
            meanwhile = None
    if batched and planned:
        items = list(planned.items())
        if state.read_references:
            items += _plan_references(state, planned).items()
        found = session.lookup([p.lookup for _, p in items], meanwhile=meanwhile)
        queries += _absorb(state, pk, items, found)
    elif meanwhile is not None:
        meanwhile()
    return queries, (1 if batched and planned else queries)


def _absorb(state: _State, pk: dict[TableRef, str], items: list[tuple[TableRef, _Planned]],
            results: list[list[Row]]) -> int:
    """Add the rows of looked-up tables and note what was asked; returns the number of queries."""
    by_ref: dict[TableRef, list[Row]] = {}
    for (ref, p), rows in zip(items, results, strict=True):
        if p.reference:
            table = state.referenced.setdefault(ref, FoundTable(ref, pk[ref]))
            for row in rows:
                table.add(row, "reference")
            continue
        by_ref[ref] = rows
        state.searched.add(ref)
        for column, vals in p.lookup.match.items():
            state.asked.setdefault((ref, column), set()).update(str(v) for v in vals)
        table = state.found.setdefault(ref, FoundTable(ref, pk[ref]))
        for row in rows:
            by_identity = any(_stored(p.kinds[c], row.get(c)) in vals for c, vals in p.id_values.items())
            table.add(row, "identity" if by_identity else "owned")
    for ref, p in items:  # what the subqueries covered: the rows their source lookups found
        for edge in p.vias:
            if p.reference:
                source, column, source_column = edge.child, edge.parent_column, edge.column
            else:
                source, column, source_column = edge.parent, edge.column, edge.parent_column
            values = {str(r[source_column]) for r in by_ref.get(source, ())
                      if r.get(source_column) is not None}
            asked = state.referenced_asked if p.reference else state.asked
            asked.setdefault((ref, column), set()).update(values)
    return sum(p.lookup.statements() for _, p in items)


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
    meanwhile: Callable[[], None] | None = None,
    ahead: Callable[[Discovery], None] | None = None,
    defer: bool = False,
    read_references: bool = True,
) -> Discovery:
    """Find a subject's rows in every system: identities, ownership, expansion, references.

    Each system is read in a read-only transaction, unless `session_for` hands out the
    sessions to use (e.g. the write transactions an erasure then changes the rows in);
    `shared_by` then names the connection each system's session uses, so that systems on one
    connection are never searched at the same time. `meanwhile` is the caller's own work, run
    once in this thread: while the first lookups are on their way where they are sent together.
    `ahead` is the caller's work on what has been found so far, run in this thread while each
    later pass (identity expansion) is on its way; when that pass finds nothing new, the result
    `same_finds` what `ahead` was given, and the caller can keep what it made of it. `defer`:
    an expansion pass over batched sessions on one connection is returned as guards instead
    (see the module docstring); the caller must send every one of them with its changes.
    `read_references=False`: rows pointed at by primary key are reported by key, not read.
    """
    requested = sorted(set(identities))
    state = _State(dm, {}, read_references=read_references)
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
        pending = [meanwhile] if meanwhile is not None else []
        guards: dict[str, list[Guard]] = {}
        while True:
            active = [s for s in names if _has_work(state, s)]
            if not active:
                break
            for s in active:
                session_of(s)
            groups: dict[Any, list[str]] = {}
            for s in active:  # systems sharing a connection are searched one after the other
                groups.setdefault(shared_by(s) if shared_by is not None else s, []).append(s)
            if defer and passes and len(groups) == 1 and all(sessions[s].batched for s in active):
                planned = {s: _guards(state, s) for s in active}
                if all(ref in state.searched for gs in planned.values() for ref, _ in gs):
                    guards = {s: [g for _, g in gs] for s, gs in planned.items()}
                    break
            passes += 1

            def run(names: list[str], first: Callable[[], None] | None = None) -> list[tuple[int, int]]:
                return [_pass(state, s, sessions[s], pks, first if i == 0 else None)
                        for i, s in enumerate(names)]

            if ahead is not None and passes > 1:
                pending.append(partial(ahead, _snapshot(requested, state, pks)))
            if parallel and len(groups) > 1:
                done = [c for cs in in_parallel(run, list(groups.values())) for c in cs]
            else:
                first = pending.pop() if pending else None
                done = [c for i, group in enumerate(groups.values())
                        for c in run(group, None if i else first)]
            while pending:
                pending.pop()()
            state.queries += sum(q for q, _ in done)
            state.round_trips += sum(t for _, t in done)
            if expand:
                for kind, values in _gather(dm, state.found, country, normalised).items():
                    if kind in kinds:
                        state.known.setdefault(kind, set()).update(values)
        while pending:  # nothing to look up
            pending.pop()()
        subject = {r: t for r, t in state.found.items() if t.rows}
        references = _follow_references(dm, subject, session_of, pks, state)
    return Discovery(requested, _identities(state), subject, references, state.queries, passes,
                     state.round_trips, guards)


def _guards(state: _State, system: str) -> list[tuple[TableRef, Guard]]:
    """The next pass over a system as guards: each table's lookup and the keys found so far."""
    out = []
    for ref in state.dm.order(system):
        p = _plan_table(state, ref, {}, batched=False)
        if p is not None:
            found = state.found.get(ref)
            out.append((ref, Guard(p.lookup, frozenset(found.rows) if found else frozenset())))
    return out


def _snapshot(requested: list[Identity], state: _State, pks: dict[TableRef, str]) -> Discovery:
    """What has been found so far, as it would be returned now (copies: later passes add to it)."""
    subject = {r: FoundTable(r, t.primary_key, dict(t.rows), dict(t.reach))
               for r, t in state.found.items() if t.rows}
    return Discovery(requested, _identities(state), subject, _references(subject, pks, state))


def _identities(state: _State) -> list[Identity]:
    """Every identity known so far, in order."""
    return sorted(Identity(k, v) for k, vals in state.known.items() for v in vals)


def _has_work(state: _State, system: str) -> bool:
    """Whether a pass over the system would look anything up (new spellings or parent keys)."""
    return any(_plan_table(state, ref, {}, batched=False) is not None
               for ref in state.dm.system_tables(system))


def _follow_references(
    dm: DataMap,
    subject: dict[TableRef, FoundTable],
    session_of: Callable[[str], ConnectorSession],
    pks: dict[TableRef, str],
    state: _State,
) -> dict[TableRef, FoundTable]:
    """Rows the subject's rows point at (those not fetched with them yet: one lookup per table;
    by key alone where references are not read and point at a primary key)."""
    wanted: dict[TableRef, dict[str, set[Any]]] = {}
    for ref, table in subject.items():
        for edge in dm.references_from(ref):
            done = state.referenced_asked.get((edge.parent, edge.parent_column), set())
            vals = {r[edge.column] for r in table.rows.values()
                    if r.get(edge.column) is not None and str(r[edge.column]) not in done}
            if vals and not state.read_references and edge.parent_column == pks[edge.parent]:
                keys = state.referenced.setdefault(edge.parent, FoundTable(edge.parent, pks[edge.parent]))
                for value in vals:
                    keys.add({edge.parent_column: value}, "reference")
            elif vals:
                wanted.setdefault(edge.parent, {}).setdefault(edge.parent_column, set()).update(vals)
    by_system: dict[str, list[TableRef]] = {}
    for ref in wanted:
        by_system.setdefault(ref.system, []).append(ref)
    for system, refs in by_system.items():
        lookups = [Lookup(ref.table, wanted[ref]) for ref in refs]
        session = session_of(system)
        statements = sum(lk.statements() for lk in lookups)
        state.queries += statements
        state.round_trips += 1 if session.batched else statements
        for ref, rows in zip(refs, session.lookup(lookups), strict=True):
            table = state.referenced.setdefault(ref, FoundTable(ref, pks[ref]))
            for row in rows:
                table.add(row, "reference")
    return _references(subject, pks, state)


def _references(subject: dict[TableRef, FoundTable], pks: dict[TableRef, str],
                state: _State) -> dict[TableRef, FoundTable]:
    """The rows fetched by reference that are not the subject's own."""
    out: dict[TableRef, FoundTable] = {}
    for ref, table in state.referenced.items():
        own = subject.get(ref)
        kept = FoundTable(ref, pks[ref])
        for key, row in table.rows.items():
            if own is None or key not in own.rows:
                kept.add(row, "reference")
        if kept.rows:
            out[ref] = kept
    return out
