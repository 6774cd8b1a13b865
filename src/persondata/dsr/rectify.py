"""Rectification (Art. 16): a new value, validated for its category, written wherever the subject has it.

`FIELD` is a data category key (`user.contact.email`: every column of that category) or a
column name declared in the data map (as a field or an identity column). Values are
validated and normalised like identities when the column is an identity column or its
category is an e-mail address, phone number, CVR / orgnr, CPR / fødselsnummer; dates must
be ISO dates, whole numbers whole; text must fit the column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from persondata.connectors.graph import DataMap, TableRef
from persondata.connectors.protocol import ColumnInfo
from persondata.connectors.sql import Systems
from persondata.connectors.walk import discover
from persondata.db.base import utcnow
from persondata.dsr.common import (
    audit,
    identity_strings,
    recipients_of,
    require_identities,
    subject_hash,
    systems_for,
)
from persondata.dsr.results import ChangeOut, RectifyResult
from persondata.errors import InputError
from persondata.identity import Hasher, Identity, normalise
from persondata.policy.model import Policy, Table

_CATEGORY_KINDS = (("email", "email"), ("phone_number", "phone"), ("cvr", "cvr"), ("orgnr", "orgnr"),
                   ("cpr", "cpr"), ("fodselsnummer", "fodselsnummer"))


@dataclass(frozen=True)
class Target:
    """One column a field name stands for."""

    ref: TableRef
    column: str
    kind: str | None  # identity kind whose rules validate the value


def _kind(spec: Table, column: str, category: str | None, country: str) -> str | None:
    for kind, col in spec.identities.items():
        if col == column:
            return kind
    if category is None:
        return None
    last = category.rsplit(".", 1)[-1]
    for word, kind in _CATEGORY_KINDS:
        if last == word or last.endswith("_" + word):
            return kind
    if last == "national_identification_number":
        return "fodselsnummer" if country == "NO" else "cpr" if country == "DK" else None
    return None


def targets(policy: Policy, dm: DataMap, name: str) -> list[Target]:
    """The columns a field name stands for (InputError listing the known names when none)."""
    out: list[Target] = []
    country = policy.controller.country
    for ref, spec in dm.tables.items():
        for column in spec.fields:
            category = spec.field_spec(column).category
            if name in (column, category):
                out.append(Target(ref, column, _kind(spec, column, category, country)))
        for kind, column in spec.identities.items():
            if name == column and column not in spec.fields:
                out.append(Target(ref, column, kind))
    if not out:
        known = sorted({c for s in dm.tables.values() for c in [*s.fields, *s.identities.values()]}
                       | {s.field_spec(c).category for s in dm.tables.values() for c in s.fields})
        raise InputError(f"no field {name!r} in the data map; give a category or a column: "
                         f"{', '.join(known)}")
    return out


def validate(value: str, target: Target, info: ColumnInfo | None, country: str) -> Any:
    """The value to store in a column, validated (InputError naming the field when it does not fit)."""
    where = f"{target.ref}.{target.column}"
    if target.kind is not None:
        value = normalise(target.kind, value, country)
    kind = info.python_type if info is not None else None
    try:
        if kind is int:
            if not re.fullmatch(r"[+-]?\d+", value.strip()):
                raise ValueError
            return int(value)
        if kind is Decimal:
            return Decimal(value.strip())
        if kind is float:
            return float(value)
        if kind is datetime:
            return datetime.fromisoformat(value.strip())
        if kind is date:
            return date.fromisoformat(value.strip())
        if kind is bool:
            return {"true": True, "1": True, "yes": True, "false": False, "0": False,
                    "no": False}[value.lower()]
    except (ValueError, KeyError, InvalidOperation) as exc:
        raise InputError(f"{where}: {value!r} is not a valid {kind.__name__ if kind else 'value'}") from exc
    if info is not None and info.length and len(value) > info.length:
        raise InputError(f"{where}: the value is {len(value)} characters; the column holds {info.length}")
    return value


def rectify(
    session: Session,
    policy: Policy,
    identities: Sequence[Identity],
    changes: Mapping[str, str],
    *,
    hasher: Hasher,
    actor: str,
    dry_run: bool = False,
    now: datetime | None = None,
    systems: Systems | None = None,
    env: Mapping[str, str] | None = None,
    expand: bool = True,
    request_ref: str | None = None,
) -> RectifyResult:
    """Write corrected values to every table mapping the field for the subject (a transaction per system)."""
    ids = require_identities(identities)
    if not changes:
        raise InputError("nothing to correct: give --set FIELD=VALUE")
    now = now or utcnow()
    dm = DataMap.of(policy)
    country = policy.controller.country
    with systems_for(policy, systems, env) as sy:
        found = discover(dm, sy.get, ids, country=country, expand=expand)
        writes: dict[str, list[tuple[TableRef, list[Any], dict[str, Any]]]] = {}
        out: list[ChangeOut] = []
        for name, raw in changes.items():
            for target in targets(policy, dm, name):
                table = found.tables.get(target.ref)
                info = sy.get(target.ref.system).columns(target.ref.table).get(target.column)
                value = validate(raw, target, info, country)
                if table is None or not table.rows:
                    continue
                keys = sorted(table.rows, key=lambda k: (str(type(k)), k))
                writes.setdefault(target.ref.system, []).append((target.ref, keys, {target.column: value}))
                out.append(ChangeOut(system=target.ref.system, table=target.ref.table, column=target.column,
                                     rows=len(keys), value=None if value is None else str(value)))
        if not dry_run:
            for system, items in sorted(writes.items()):
                with sy.get(system).session(write=True) as s:
                    for ref, keys, values in items:
                        s.update(ref.table, keys, values)
    touched = [p for c in out for p in dm.spec(TableRef(c.system, c.table)).purposes]
    audit(session, actor=actor, action="dsr.rectify.plan" if dry_run else "dsr.rectify",
          subject=subject_hash(hasher, ids), target=",".join(sorted(writes)) or None,
          details={"fields": sorted(changes), "columns": [f"{c.system}.{c.table}.{c.column}" for c in out],
                   "rows": sum(c.rows for c in out), "request": request_ref},
          at=now)
    return RectifyResult(dry_run=dry_run, at=now, identities=identity_strings(found.identities), changes=out,
                         notify=recipients_of(policy, dict.fromkeys(touched), policy.controller.languages[0]))
