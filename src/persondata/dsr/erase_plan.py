"""Planning an erasure: what happens to each row found for the subject, before anything is written.

1. Each row gets its table's treatment (see connectors.strategies): delete, or anonymise.
2. A row that a `legal_obligation` purpose still needs is **held** (dsr.holds), untouched.
3. Ownership keeps parents alive: a row that stays (held or anonymised) and belongs to a
   row that would be deleted either lets go of it (its ownership column is nulled, when the
   column allows NULL and the row is only anonymised) or keeps the parent, which is then
   anonymised instead of deleted. A parent kept for held rows is erased with them when
   their hold ends (it gets a deferred erasure with the same date). This repeats up the
   ownership chain until nothing changes.
4. Rows reached only through a reference (a shared address) are reported, never changed;
   an anonymised row lets go of the rows it references (the column is nulled when it can be).
5. A row of the subject that would be deleted but that rows of others still reference (a
   company's site that its employees' rows point at) is **shared**: left untouched and
   reported; its owners are kept like the owners of held rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from persondata.connectors.found import Discovery
from persondata.connectors.graph import DataMap, TableRef
from persondata.connectors.protocol import ColumnInfo, ConnectorSession, Row
from persondata.connectors.strategies import RowPlan, TableErasure, plan_rows
from persondata.dsr.holds import Hold, hold_for, holding_purposes
from persondata.identity import Hasher
from persondata.policy.model import Policy, Strategy

Action = Literal["delete", "anonymise", "held", "shared"]


@dataclass
class RowDecision:
    """What happens to one row, and why."""

    action: Action
    hold: Hold | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # ownership columns let go of (set to NULL)
    kept_for: str | None = None  # why a row that would be deleted is kept
    deferred: bool = False  # erase it later (held, or kept for held rows)
    due: date | None = None  # when the deferred erasure is due (None: not known yet)


@dataclass
class TablePlan:
    """The rows of one table and what happens to each."""

    ref: TableRef
    erasure: TableErasure
    columns: dict[str, ColumnInfo]
    rows: dict[Any, Row]
    decisions: dict[Any, RowDecision]
    restricted_flag: str | None = None
    row_plan: RowPlan = field(default_factory=RowPlan)

    def held_keys(self) -> list[Any]:
        """Keys of held rows."""
        return [k for k, d in self.decisions.items() if d.action == "held"]


@dataclass
class ErasurePlan:
    """Every table's plan for one subject."""

    discovery: Discovery
    tables: dict[TableRef, TablePlan]

    def systems(self) -> list[str]:
        """Systems with rows of the subject."""
        return sorted({r.system for r in self.tables})

    def deferred(self) -> bool:
        """True when some row's erasure is deferred (held, or kept until a hold ends)."""
        return any(d.deferred for tp in self.tables.values() for d in tp.decisions.values())


def _later(a: date | None, b: date | None) -> date | None:
    return None if a is None or b is None else max(a, b)


def _keep_parents(dm: DataMap, tables: dict[TableRef, TablePlan]) -> None:
    changed = True
    while changed:
        changed = False
        for ref, tp in tables.items():
            for edge in dm.owners(ref):
                parent = tables.get(edge.parent)
                if parent is None:
                    continue
                index: dict[str, list[Any]] = {}
                for pkey, prow in parent.rows.items():
                    if prow.get(edge.parent_column) is not None:
                        index.setdefault(str(prow[edge.parent_column]), []).append(pkey)
                nullable = tp.columns[edge.column].nullable if edge.column in tp.columns else False
                for key, d in tp.decisions.items():
                    value = tp.rows[key].get(edge.column)
                    if d.action == "delete" or value is None or edge.column in d.extra:
                        continue
                    for pkey in index.get(str(value), []):
                        pd = parent.decisions[pkey]
                        if pd.action != "delete":
                            if d.deferred and pd.kept_for is not None:
                                due = _later(pd.due, d.due) if pd.deferred else d.due
                                if not pd.deferred or due != pd.due:
                                    pd.deferred, pd.due = True, due
                                    changed = True
                            continue
                        if d.action == "anonymise" and nullable and not d.deferred:
                            d.extra[edge.column] = None
                            continue
                        pd.action = "anonymise"
                        pd.kept_for = f"owns {'held' if d.deferred else 'kept'} rows of {ref.table}"
                        if d.deferred:
                            pd.deferred, pd.due = True, d.due
                        changed = True


def asks_references(dm: DataMap, plan: ErasurePlan) -> bool:
    """True when rows to be deleted may still be pointed at by other tables (planning with
    `session_for` then asks the database which are shared)."""
    deleting = {ref for ref, tp in plan.tables.items()
                if any(d.action == "delete" for d in tp.decisions.values())}
    return any(edge.parent in deleting and not edge.ownership for edge in dm.edges)


def _keep_referenced(dm: DataMap, tables: dict[TableRef, TablePlan],
                     session_for: Callable[[str], ConnectorSession], owned_too: bool) -> bool:
    """Rows that other rows still point at are shared: left untouched (one query per edge)."""
    changed = False
    for ref, tp in tables.items():
        deleting = [k for k, d in tp.decisions.items() if d.action == "delete"]
        if not deleting:
            continue
        for edge in dm.edges:
            if edge.parent != ref or (edge.ownership and not owned_too):
                continue
            values = {tp.rows[k][edge.parent_column] for k in deleting
                      if tp.rows[k].get(edge.parent_column) is not None}
            if not values:
                continue
            child = tables.get(edge.child)
            pk = dm.spec(edge.child).primary_key
            rows = session_for(ref.system).fetch(edge.child.table, {edge.column: values}, [pk, edge.column])
            still: dict[str, int] = {}
            for row in rows:
                d = child.decisions.get(row[pk]) if child is not None else None
                if d is None or not (d.action == "delete" or edge.column in d.extra):
                    still[str(row[edge.column])] = still.get(str(row[edge.column]), 0) + 1
            for key in deleting:
                n = still.get(str(tp.rows[key].get(edge.parent_column)))
                if n:
                    d = tp.decisions[key]
                    d.action = "shared"
                    d.kept_for = f"shared: {n} other row(s) of {edge.child.table} point at it"
                    changed = True
    return changed


def _unlink_references(dm: DataMap, tables: dict[TableRef, TablePlan]) -> None:
    """Anonymised rows let go of what they reference (a shared address says where the subject lives)."""
    for ref, tp in tables.items():
        for edge in dm.references_from(ref):
            info = tp.columns.get(edge.column)
            if info is None or not info.nullable:
                continue
            for key, d in tp.decisions.items():
                if d.action == "anonymise" and tp.rows[key].get(edge.column) is not None:
                    d.extra[edge.column] = None


def plan_erasure(
    policy: Policy,
    dm: DataMap,
    discovery: Discovery,
    columns_of: Any,
    *,
    today: date,
    hasher: Hasher | None,
    forced: Mapping[TableRef, Mapping[Any, Hold]] | None = None,
    session_for: Callable[[str], ConnectorSession] | None = None,
    owned_too: bool = False,
) -> ErasurePlan:
    """Decide, for every row found, whether it is deleted, anonymised, held or shared (nothing is written).

    `forced` holds rows regardless of their purposes (deferred erasures not yet due). With
    `session_for`, rows to be deleted that other rows still point at through a reference (and,
    with `owned_too`, through ownership — for rows loaded by key, whose children were not
    walked) are kept as shared.
    """
    tables: dict[TableRef, TablePlan] = {}
    for ref, found in discovery.tables.items():
        spec = dm.spec(ref)
        erasure = dm.erasure(ref)
        columns: dict[str, ColumnInfo] = columns_of(ref)
        decisions: dict[Any, RowDecision] = {}
        forced_here = (forced or {}).get(ref, {})
        may_hold = bool(holding_purposes(policy, spec))  # else no row of the table is held by law
        for key, row in found.rows.items():
            hold = forced_here.get(key) or (hold_for(policy, spec, row, today) if may_hold else None)
            if hold is not None:
                decisions[key] = RowDecision("held", hold=hold, deferred=True, due=hold.until)
            else:
                decisions[key] = RowDecision("delete" if erasure.mode == "delete" else "anonymise")
        tables[ref] = TablePlan(ref, erasure, columns, dict(found.rows), decisions, spec.restricted_flag)
    _keep_parents(dm, tables)
    while session_for is not None and _keep_referenced(dm, tables, session_for, owned_too):
        _keep_parents(dm, tables)
    _unlink_references(dm, tables)
    for tp in tables.values():
        work = [tp.rows[k] for k, d in tp.decisions.items() if d.action in ("delete", "anonymise")]
        keep = {k for k, d in tp.decisions.items() if d.action == "anonymise"}
        extra = {k: d.extra for k, d in tp.decisions.items() if d.extra}
        tp.row_plan = plan_rows(tp.erasure, tp.columns, work, hasher, keep=keep, extra=extra)
    return ErasurePlan(discovery, tables)


def change_words(tp: TablePlan, changes: dict[str, Any]) -> dict[str, str]:
    """Column -> the strategy applied, for showing a plan."""
    rules = {r.column: r for r in tp.erasure.fields}
    out: dict[str, str] = {}
    for column in changes:
        rule = rules.get(column)
        if rule is None:
            out[column] = "null (unlinked)"
        else:
            strategy = rule.strategy if rule.strategy not in (None, Strategy.delete) else Strategy.null
            out[column] = strategy.value if strategy is not None else "null"
    return out
