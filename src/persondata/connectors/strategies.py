"""Erasure strategies: how a subject's rows are deleted or anonymised, as batched UPDATE / DELETE.

Per table (see `table_erasure`):
- A field's strategy is its own `erasure:`, else its category's (`categories.<key>.erasure`
  in the policy, inherited through `parent`), else none.
- A table where no field has a strategy, or any field says `delete`, is in **delete** mode:
  the subject's rows are deleted.
- Otherwise the table is in **anonymise** mode: each field gets its strategy and fields
  without one are nulled; identity columns that are not declared as fields are nulled too.
- `null` on a NOT NULL column falls back to `redact` for text and `generalize` for dates.
  `redact`, `hash` and `mask` apply to text (other types are nulled); values are cut to
  the column's length. `generalize` turns a date into 1 January of its year.
- Anonymising is idempotent: values already erased are left alone (and a value that
  already is a keyed hash is not hashed again), so a re-run changes nothing.

`plan_rows` turns rows into deletions and per-row changes; `apply_rows` writes them in one
statement per 1,000 keys (same values) or one batched executemany (per-row values).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from persondata.connectors.protocol import ColumnInfo, ConnectorSession, DataMapError, Row, Write
from persondata.identity import Hasher
from persondata.policy.model import Field_, Policy, Strategy, Table

Mode = Literal["delete", "anonymise"]
_DATE = re.compile(r"^(\d{4})-\d{2}-\d{2}")


@dataclass(frozen=True)
class FieldRule:
    """How one column is erased."""

    column: str
    category: str
    strategy: Strategy | None  # None: no strategy declared (null when anonymising)
    keep_last: int = 4
    redact_text: str = "[redacted]"


@dataclass(frozen=True)
class TableErasure:
    """How the rows of one table are erased."""

    table: str
    primary_key: str
    mode: Mode
    fields: tuple[FieldRule, ...]


@dataclass
class Counts:
    """Rows deleted, anonymised, and already anonymised (nothing left to change)."""

    deleted: int = 0
    anonymised: int = 0
    unchanged: int = 0


@dataclass
class RowPlan:
    """What happens to the rows of one table: deletions and per-row changes."""

    deletes: list[Any] = field(default_factory=list)
    updates: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)
    unchanged: list[Any] = field(default_factory=list)


def category_strategy(policy: Policy, category: str) -> Strategy | None:
    """The erasure strategy a policy declares for a category or its nearest declared ancestor."""
    seen: set[str] = set()
    key: str | None = category
    while key and key not in seen:
        seen.add(key)
        declared = policy.categories.get(key)
        if declared is not None:
            if declared.erasure is not None:
                return declared.erasure
            key = declared.parent
            continue
        key = key.rpartition(".")[0] or None
    return None


def field_strategy(policy: Policy, spec: Field_) -> Strategy | None:
    """A field's strategy: its own, else its category's, else None."""
    return spec.erasure if spec.erasure is not None else category_strategy(policy, spec.category)


def table_erasure(policy: Policy, table: str, spec: Table) -> TableErasure:
    """How a table's rows are erased under the policy (delete or anonymise, per-field rules)."""
    rules: list[FieldRule] = []
    for column in spec.fields:
        f = spec.field_spec(column)
        rules.append(FieldRule(column, f.category, field_strategy(policy, f), f.keep_last, f.redact_text))
    declared = {r.column for r in rules}
    for kind, column in spec.identities.items():
        if column not in declared:
            rules.append(FieldRule(column, f"identity:{kind}", None))
            declared.add(column)
    strategies = [r.strategy for r in rules if r.strategy is not None]
    mode: Mode = "delete" if not strategies or Strategy.delete in strategies else "anonymise"
    return TableErasure(table, spec.primary_key, mode, tuple(rules))


def _generalize(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if isinstance(value, date):
        return date(value.year, 1, 1)
    if isinstance(value, str):
        m = _DATE.match(value)
        return f"{m.group(1)}-01-01" if m else None
    if isinstance(value, int):
        return value
    return None


def _cut(text: str, info: ColumnInfo | None) -> str:
    return text[: info.length] if info is not None and info.length else text


def _looks_hashed(value: str, info: ColumnInfo | None) -> bool:
    n = min(64, info.length) if info is not None and info.length else 64
    return len(value) == n and re.fullmatch(r"[0-9a-f]+", value) is not None


def erased_value(rule: FieldRule, value: Any, info: ColumnInfo | None, hasher: Hasher | None) -> Any:
    """The value a column gets when its row is anonymised."""
    strategy = rule.strategy
    if strategy in (None, Strategy.delete):
        strategy = Strategy.null
    if strategy is Strategy.keep or value is None:
        return value
    text = info is None or info.is_text or isinstance(value, str)
    if strategy is Strategy.hash and text:
        raw = str(value)
        if _looks_hashed(raw, info):
            return raw
        if hasher is None:
            raise DataMapError(f"{rule.column}: erasure 'hash' needs PERSONDATA_HASH_KEY")
        return _cut(hasher.hash_value(raw), info)
    if strategy is Strategy.mask and text:
        raw = str(value)
        n = rule.keep_last
        keep = raw[-n:] if 0 < n < len(raw) else ""
        return _cut("*" * (len(raw) - len(keep)) + keep, info)
    if strategy is Strategy.redact and text:
        return _cut(rule.redact_text, info)
    if strategy is Strategy.generalize:
        general = _generalize(value)
        if general is not None:
            return general
    # null, or a strategy that does not apply to this type
    if info is None or info.nullable:
        return None
    if info.is_text:
        return _cut(rule.redact_text, info)
    if info.python_type in (date, datetime):
        return _generalize(value)
    raise DataMapError(
        f"{rule.column} is NOT NULL and of a type that cannot be nulled or redacted;"
        f" declare erasure: delete or keep for it")


def anonymised(erasure: TableErasure, row: Row, columns: Mapping[str, ColumnInfo],
               hasher: Hasher | None) -> dict[str, Any]:
    """The changes that anonymise one row (only columns whose value changes)."""
    changes: dict[str, Any] = {}
    for rule in erasure.fields:
        if rule.column not in row:
            continue
        old = row[rule.column]
        new = erased_value(rule, old, columns.get(rule.column), hasher)
        if new != old:
            changes[rule.column] = new
    return changes


def plan_rows(
    erasure: TableErasure,
    columns: Mapping[str, ColumnInfo],
    rows: Sequence[Row],
    hasher: Hasher | None,
    *,
    keep: Collection[Any] = (),
    extra: Mapping[Any, Mapping[str, Any]] | None = None,
) -> RowPlan:
    """Deletions and changes for rows; rows in `keep` are anonymised even in delete mode.

    `extra` adds per-row changes (e.g. nulling an ownership column whose parent is deleted).
    """
    plan = RowPlan()
    for row in rows:
        key = row[erasure.primary_key]
        if erasure.mode == "delete" and key not in keep:
            plan.deletes.append(key)
            continue
        changes = anonymised(erasure, row, columns, hasher)
        for column, value in (extra or {}).get(key, {}).items():
            if row.get(column) != value:
                changes[column] = value
        if changes:
            plan.updates.append((key, changes))
        else:
            plan.unchanged.append(key)
    return plan


def _frozen(changes: Mapping[str, Any]) -> tuple[tuple[str, Any], ...] | None:
    try:
        items = tuple(sorted(changes.items()))
        hash(items)
    except TypeError:
        return None
    return items


def row_writes(table: str, plan: RowPlan) -> list[Write]:
    """The changes that carry out a RowPlan: updates first (rows getting the same values in one
    statement), then deletions."""
    same: dict[tuple[tuple[str, Any], ...], list[Any]] = {}
    varied: list[tuple[Any, Mapping[str, Any]]] = []
    for key, changes in plan.updates:
        frozen = _frozen(changes)
        if frozen is None:
            varied.append((key, changes))
        else:
            same.setdefault(frozen, []).append(key)
    for frozen, keys in list(same.items()):
        if len(keys) == 1:  # a lone row: batch it with the other per-row changes
            varied.append((keys[0], dict(frozen)))
            del same[frozen]
    writes = [Write(table, "update", keys, dict(frozen)) for frozen, keys in same.items()]
    if varied:
        writes.append(Write(table, "update_rows", changes=varied))
    if plan.deletes:
        writes.append(Write(table, "delete", plan.deletes))
    return writes


def counts(plan: RowPlan, writes: Sequence[Write], done: Sequence[int]) -> Counts:
    """What a RowPlan's writes did."""
    deleted = sum(n for w, n in zip(writes, done, strict=True) if w.kind == "delete")
    return Counts(deleted=deleted, anonymised=len(plan.updates), unchanged=len(plan.unchanged))


def apply_rows(session: ConnectorSession, table: str, plan: RowPlan) -> Counts:
    """Write a RowPlan (see `row_writes`)."""
    writes = row_writes(table, plan)
    return counts(plan, writes, session.write(writes))
