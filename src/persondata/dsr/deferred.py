"""Carrying out deferred erasures when their hold has ended (called by the retention engine).

Records whose hold had no known end (the anchor was empty) are looked at again each time.
For each system with due records: the rows are loaded by key together with the subject's
other open records there (those not yet due stay held, so their owners stay too), planned
exactly like an erasure request (a row whose hold moved, e.g. a later anchor, stays held
and its record gets the new date), and written in one transaction, children before parents.
When a subject has no open record left, its `held_rows` restriction is lifted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from pydantic import Field
from sqlalchemy.orm import Session

from persondata.audit.service import lock as audit_lock
from persondata.connectors.found import Discovery, FoundTable
from persondata.connectors.graph import DataMap, TableRef
from persondata.connectors.sql import Systems
from persondata.db.base import utcnow
from persondata.dsr import repository
from persondata.dsr.common import audit, systems_for
from persondata.dsr.erase import apply_system
from persondata.dsr.erase_plan import plan_erasure
from persondata.dsr.holds import Hold
from persondata.dsr.models import DeferredErasure
from persondata.dsr.results import Out
from persondata.errors import PersondataError
from persondata.identity import Hasher
from persondata.policy.model import Policy


class DeferredResult(Out):
    """What a run over the due deferred erasures did."""

    as_of: date
    due: int = 0  # records looked at (due, or without a known date)
    done: int = 0
    still_held: int = 0
    gone: int = 0  # rows already gone (deleted by someone else) — marked done
    deleted: int = 0
    anonymised: int = 0
    failed: dict[str, str] = Field(default_factory=dict)  # system -> error
    lifted: int = 0  # restrictions lifted


def carry_out_deferred(
    session: Session,
    policy: Policy,
    *,
    hasher: Hasher,
    actor: str = "retention",
    now: datetime | None = None,
    systems: Systems | None = None,
    env: Mapping[str, str] | None = None,
    limit: int | None = None,
    exclude: Callable[[DeferredErasure], bool] | None = None,
) -> DeferredResult:
    """Erase the held rows whose hold has ended; mark their records done (audited per system).

    `exclude` leaves records alone for now (the retention engine passes the DPO's holds)."""
    now = now or utcnow()
    today = now.date()
    due = repository.due_deferred(session, today, limit=limit, include_unknown=True)
    if exclude is not None:
        due = [d for d in due if not exclude(d)]
    result = DeferredResult(as_of=today, due=len(due))
    if not due:
        return result
    audit_lock(session)  # the audit chain's lock first, then other state rows
    dm = DataMap.of(policy)
    by_system: dict[str, list[DeferredErasure]] = {}
    for d in due:
        by_system.setdefault(d.system, []).append(d)
    subjects = sorted({d.subject_hash for d in due})
    others = [d for d in repository.open_deferred(session, subject_hashes=subjects) if d not in due]
    groups = {d.group_id for d in due}
    with systems_for(policy, systems, env) as sy:
        for system, records in sorted(by_system.items()):
            waiting = [d for d in others if d.system == system]
            try:
                _system(session, sy, dm, policy, system, records, waiting, today, hasher, now, result)
            except PersondataError as exc:
                result.failed[system] = str(exc)
            audit(session, actor=actor, action="dsr.erase.deferred", subject=records[0].subject_hash,
                  target=system, details={"records": len(records), "error": result.failed.get(system)},
                  at=now)
    for group in sorted(groups):
        if repository.open_in_group(session, group) == 0:
            result.lifted += repository.lift_group(session, group, at=now, by=actor)
    return result


def _system(session: Session, sy: Systems, dm: DataMap, policy: Policy, system: str,
            records: list[DeferredErasure], waiting: list[DeferredErasure], today: date, hasher: Hasher,
            now: datetime, result: DeferredResult) -> None:
    connector = sy.get(system)
    wanted: dict[TableRef, list[DeferredErasure]] = {}
    for d in [*records, *waiting]:
        ref = TableRef(system, d.table_name)
        if ref in dm.tables:
            wanted.setdefault(ref, []).append(d)
    found: dict[TableRef, FoundTable] = {}
    forced: dict[TableRef, dict[Any, Hold]] = {}
    with connector.session(write=True) as s:
        for ref, items in wanted.items():
            pk = connector.primary_key(ref.table)
            table = FoundTable(ref, pk)
            for row in s.fetch_keys(ref.table, [repository.key_value(d.row_key) for d in items]):
                table.add(row, "owned")
            found[ref] = table
            forced[ref] = {repository.key_value(d.row_key): Hold(d.purpose or "deferred", d.law, d.due_on)
                           for d in items if d in waiting}
        plan = plan_erasure(policy, dm, Discovery([], [], found, {}),
                            lambda ref: connector.columns(ref.table), today=today, hasher=hasher,
                            forced=forced, session_for=lambda _system: s, owned_too=True)
        counts = apply_system(s, dm, plan, system)
    result.deleted += sum(c.deleted for c in counts.values())
    result.anonymised += sum(c.anonymised for c in counts.values())
    done: list[int] = []
    for d in records:
        ref = TableRef(system, d.table_name)
        key = repository.key_value(d.row_key)
        tp = plan.tables.get(ref)
        decision = tp.decisions.get(key) if tp is not None else None
        if decision is None:
            result.gone += 1
            done.append(d.id)
        elif decision.deferred or decision.action == "shared":
            d.due_on = decision.due if decision.deferred else d.due_on
            result.still_held += 1
        else:
            done.append(d.id)
    result.done += repository.mark_deferred_done(session, done, now)
