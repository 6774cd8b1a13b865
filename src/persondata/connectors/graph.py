"""The data map as a graph: tables, ownership edges (`belongs_to`) and references.

A table with identity columns is where a subject is first found. From its rows, ownership
edges lead to child rows (customer -> orders -> order_items): those rows belong to the
subject and are erased with it. A reference (`references`) leads from a subject's row to a
row it points at but does not own (an address shared by two customers): followed for
access and reported, never erased. Edges stay inside one system.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from persondata.connectors.protocol import DataMapError
from persondata.connectors.strategies import TableErasure, table_erasure
from persondata.policy.model import Policy, Table


class TableRef(NamedTuple):
    """A table of a system: `system.table` (a named tuple: it is a key of every lookup on the hot path,
    and a tuple hashes in C)."""

    system: str
    table: str

    def __str__(self) -> str:
        return f"{self.system}.{self.table}"


@dataclass(frozen=True)
class Edge:
    """`child.column -> parent.parent_column`; ownership for belongs_to, else a reference."""

    child: TableRef
    column: str
    parent: TableRef
    parent_column: str
    ownership: bool


def split_target(target: str) -> tuple[str, str]:
    """Split a `table.column` target (the table may carry a schema: `schema.table.column`)."""
    table, dot, column = target.rpartition(".")
    if not dot or not table or not column:
        raise DataMapError(f"{target!r} must name a table and a column: table.column")
    return table, column


class DataMap:
    """The systems, tables and edges of a policy, with orders for walking and erasing."""

    @classmethod
    def of(cls, policy: Policy) -> DataMap:
        """The data map of a policy, built once per policy object (policies are not changed in place)."""
        dm = _BUILT.get(id(policy))
        if dm is None or dm.policy is not policy:
            if len(_BUILT) >= 32:
                _BUILT.clear()
            dm = _BUILT[id(policy)] = cls(policy)
        return dm

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.tables: dict[TableRef, Table] = {}
        self.edges: list[Edge] = []
        for sname, system in policy.systems.items():
            for tname, table in system.tables.items():
                self.tables[TableRef(sname, tname)] = table
        self._erasures: dict[TableRef, TableErasure] = {}
        # Tables with a field kept encrypted (`encrypted: true`): their keys are in the vault.
        self.encrypted = frozenset(ref for ref, t in self.tables.items()
                                   if any(t.field_spec(c).encrypted for c in t.fields))
        for ref, table in self.tables.items():
            for kind, targets in (("belongs_to", table.belongs_to), ("references", table.references)):
                for column, target in targets.items():
                    ptable, pcol = split_target(target)
                    parent = TableRef(ref.system, ptable)
                    if parent not in self.tables:
                        raise DataMapError(
                            f"systems.{ref.system}.tables.{ref.table}.{kind}.{column}: table {ptable!r}"
                            f" is not in system {ref.system}'s data map")
                    self.edges.append(Edge(ref, column, parent, pcol, kind == "belongs_to"))
        self._owners: dict[TableRef, list[Edge]] = {r: [] for r in self.tables}
        self._children: dict[TableRef, list[Edge]] = {r: [] for r in self.tables}
        self._refs: dict[TableRef, list[Edge]] = {r: [] for r in self.tables}
        self._by_system: dict[str, list[TableRef]] = {s: [] for s in policy.systems}
        for edge in self.edges:
            if edge.ownership:
                self._owners[edge.child].append(edge)
                self._children[edge.parent].append(edge)
            else:
                self._refs[edge.child].append(edge)
        for ref in self.tables:
            self._by_system[ref.system].append(ref)

    def systems(self) -> list[str]:
        """System names in policy order."""
        return list(self.policy.systems)

    def erasure(self, ref: TableRef) -> TableErasure:
        """How the table's rows are erased (its strategies resolved once per data map)."""
        found = self._erasures.get(ref)
        if found is None:
            found = self._erasures[ref] = table_erasure(self.policy, ref.table, self.tables[ref])
        return found

    def spec(self, ref: TableRef) -> Table:
        """The policy's table definition."""
        return self.tables[ref]

    def owners(self, ref: TableRef) -> list[Edge]:
        """Ownership edges from this table to its parents."""
        return self._owners.get(ref, [])

    def children(self, ref: TableRef) -> list[Edge]:
        """Ownership edges from child tables to this one."""
        return self._children.get(ref, [])

    def references_from(self, ref: TableRef) -> list[Edge]:
        """Non-ownership edges from this table."""
        return self._refs.get(ref, [])

    def system_tables(self, system: str) -> list[TableRef]:
        """The tables of one system in policy order."""
        return self._by_system.get(system, [])

    @cached_property
    def _order(self) -> dict[str, list[TableRef]]:
        return {s: self._topological(s) for s in self.systems()}

    def _topological(self, system: str) -> list[TableRef]:
        # Depth-first: a table comes after its owners; a cycle is broken where it closes.
        done: list[TableRef] = []
        state: dict[TableRef, int] = {}

        def visit(ref: TableRef) -> None:
            if state.get(ref):
                return
            state[ref] = 1
            for edge in self.owners(ref):
                if not state.get(edge.parent):
                    visit(edge.parent)
            state[ref] = 2
            done.append(ref)

        for ref in self.system_tables(system):
            visit(ref)
        return done

    def order(self, system: str) -> list[TableRef]:
        """Tables of a system with parents before children (cycles broken)."""
        return list(self._order.get(system, []))

    def erase_order(self, system: str) -> list[TableRef]:
        """Tables of a system with children before parents (the order for deleting)."""
        return list(reversed(self._order.get(system, [])))

    def identity_tables(self) -> list[TableRef]:
        """Tables with identity columns: where subjects are found first."""
        return [r for r, t in self.tables.items() if t.identities]

    def reachable(self) -> tuple[set[TableRef], set[TableRef]]:
        """(owned: reachable from identity tables by ownership, referenced only: via references)."""
        owned: set[TableRef] = set(self.identity_tables())
        stack = list(owned)
        while stack:
            ref = stack.pop()
            for edge in self.children(ref):
                if edge.child not in owned:
                    owned.add(edge.child)
                    stack.append(edge.child)
        referenced = {e.parent for e in self.edges if not e.ownership and e.child in owned} - owned
        return owned, referenced


_BUILT: dict[int, DataMap] = {}
