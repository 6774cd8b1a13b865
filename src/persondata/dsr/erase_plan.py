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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from persondata.connectors.graph import DataMap, TableRef
from persondata.connectors.protocol import ColumnInfo, Row
from persondata.connectors.strategies import RowPlan, TableErasure, plan_rows, table_erasure
from persondata.connectors.walk import Discovery
from persondata.dsr.holds import Hold, hold_for
from persondata.identity import Hasher
from persondata.policy.model import Policy, Strategy

Action = Literal["delete", "anonymise", "held"]


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
) -> ErasurePlan:
    """Decide, for every row found, whether it is deleted, anonymised or held (nothing is written).

    `forced` holds rows regardless of their purposes (deferred erasures not yet due).
    """
    tables: dict[TableRef, TablePlan] = {}
    for ref, found in discovery.tables.items():
        spec = dm.spec(ref)
        erasure = table_erasure(policy, ref.table, spec)
        columns: dict[str, ColumnInfo] = columns_of(ref)
        decisions: dict[Any, RowDecision] = {}
        for key, row in found.rows.items():
            hold = (forced or {}).get(ref, {}).get(key) or hold_for(policy, spec, row, today)
            if hold is not None:
                decisions[key] = RowDecision("held", hold=hold, deferred=True, due=hold.until)
            else:
                decisions[key] = RowDecision("delete" if erasure.mode == "delete" else "anonymise")
        tables[ref] = TablePlan(ref, erasure, columns, dict(found.rows), decisions, spec.restricted_flag)
    _keep_parents(dm, tables)
    _unlink_references(dm, tables)
    for tp in tables.values():
        work = [tp.rows[k] for k, d in tp.decisions.items() if d.action != "held"]
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
