"""Erasure (Art. 17): delete or anonymise a subject's rows as the policy says, hold what the law needs.

One transaction per system (systems in parallel), children before parents. Held rows are
left untouched (their `restricted_flag` is set), listed with the date their hold ends, and
recorded as deferred erasures for the retention engine; meanwhile the subject counts as
restricted (scope `held_rows`). `dry_run=True` plans exactly the same and writes nothing.

Re-running is harmless: erased rows are no longer found, anonymised values are left as they
are. For resumable jobs: call `discover_identities` once, keep the identities, then call
`erase(..., only=[system])` per system; each call is complete for its system or changes
nothing there.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import ExitStack
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from persondata.audit import service as audit_service
from persondata.audit.service import NewEntry
from persondata.connectors.found import Discovery
from persondata.connectors.graph import DataMap, TableRef
from persondata.connectors.protocol import ConnectorSession, Guard, StaleFinds, Write
from persondata.connectors.sql import Systems, Tx
from persondata.connectors.strategies import Counts, RowPlan, counts, row_writes
from persondata.connectors.walk import discover, in_parallel
from persondata.db import hot
from persondata.db.base import utcnow
from persondata.dsr import repository
from persondata.dsr.common import (
    identity_hashes,
    identity_strings,
    recipients_of,
    require_identities,
    subject_hash,
    systems_for,
)
from persondata.dsr.erase_plan import ErasurePlan, TablePlan, asks_references, change_words, plan_erasure
from persondata.dsr.models import DeferredErasure, Restriction
from persondata.dsr.results import ErasureResult, HeldRow, RowAction, SystemStatus, TableErasureOut
from persondata.errors import PersondataError
from persondata.identity import Hasher, Identity
from persondata.policy.model import Policy
from persondata.retention.holds import active_holds, forced_holds  # the DPO's holds


def discover_identities(
    policy: Policy,
    identities: Sequence[Identity],
    *,
    systems: Systems | None = None,
    env: Mapping[str, str] | None = None,
) -> list[Identity]:
    """Every identity of the subject found across the systems (to keep for resumable erasure)."""
    ids = require_identities(identities)
    with systems_for(policy, systems, env) as sy:
        return discover(DataMap.of(policy), sy.get, ids, country=policy.controller.country).identities


def _db(sy: Systems, system: str) -> str:
    """The database a system lives in (systems may share one)."""
    return sy.get(system).database


Changes = list[tuple[TablePlan, list[Write]]]  # per table of a system


def system_changes(dm: DataMap, plan: ErasurePlan, system: str) -> Changes:
    """One system's part of a plan as changes, children before parents (held rows flagged first)."""
    parts: Changes = []
    for ref in dm.erase_order(system):
        tp = plan.tables.get(ref)
        if tp is None:
            continue
        held = tp.held_keys()
        writes = row_writes(ref.table, tp.row_plan)
        if held and tp.restricted_flag:
            writes.insert(0, Write(ref.table, "update", held, {tp.restricted_flag: True}))
        parts.append((tp, writes))
    return parts


def apply_system(session: ConnectorSession, dm: DataMap, plan: ErasurePlan, system: str, *,
                 last: bool = False, meanwhile: Callable[[], None] | None = None,
                 changes: Changes | None = None, guards: Sequence[Guard] = ()) -> dict[TableRef, Counts]:
    """Write one system's part of a plan in the caller's transaction, children before parents
    (all of it sent together where the connector can; with `last`, with the commit; `meanwhile`
    is work to do while it is on its way; `changes`: system_changes made already; `guards`: the
    search's deferred pass, checked first)."""
    parts = changes if changes is not None else system_changes(dm, plan, system)
    done = iter(session.write([w for _, writes in parts for w in writes], last=last, meanwhile=meanwhile,
                              guards=guards))
    return {tp.ref: counts(tp.row_plan, writes, [next(done) for _ in writes]) for tp, writes in parts}


def _table_out(tp: TablePlan, rp: RowPlan) -> TableErasureOut:
    """One table's row actions and counts."""
    updates = dict(rp.updates)
    words: dict[tuple[str, ...], dict[str, str]] = {}  # the same columns change alike in every row
    rows: list[RowAction] = []
    for key in sorted(tp.decisions, key=lambda k: (str(type(k)), k)):
        d = tp.decisions[key]
        if d.action == "shared":
            rows.append(RowAction(key=key, action="report", note=d.kept_for))
        elif d.action == "held":
            assert d.hold is not None
            rows.append(RowAction(key=key, action="held", hold_purpose=d.hold.purpose,
                                  hold_law=d.hold.law, hold_until=d.hold.until))
        elif key in updates:
            columns = tuple(updates[key])
            if columns not in words:
                words[columns] = change_words(tp, updates[key])
            rows.append(RowAction(key=key, action="anonymise", changes=words[columns], note=d.kept_for,
                                  hold_until=d.due if d.deferred else None))
        elif key in rp.unchanged:
            rows.append(RowAction(key=key, action="unchanged", note=d.kept_for))
        else:
            rows.append(RowAction(key=key, action="delete"))
    n = Counter(r.action for r in rows)
    return TableErasureOut(system=tp.ref.system, table=tp.ref.table, mode=tp.erasure.mode, rows=rows,
                           deleted=n["delete"], anonymised=n["anonymise"], held=n["held"],
                           reported_only=n["report"], unchanged=n["unchanged"])


def _deferred(plan: ErasurePlan, systems: Collection[str], subject: str, group: str, request_ref: str | None,
              now: datetime) -> list[DeferredErasure]:
    out = []
    for ref, tp in plan.tables.items():
        if ref.system not in systems:
            continue
        for key, d in tp.decisions.items():
            if not d.deferred:
                continue
            out.append(DeferredErasure(
                group_id=group, subject_hash=subject, system=ref.system, table_name=ref.table,
                row_key=repository.row_key(key), purpose=d.hold.purpose if d.hold else None,
                law=d.hold.law if d.hold else d.kept_for, due_on=d.due, request_ref=request_ref,
                created_at=now))
    return out


def erase(
    session: Session,
    policy: Policy,
    identities: Sequence[Identity],
    *,
    hasher: Hasher,
    actor: str,
    dry_run: bool = False,
    only: Collection[str] | None = None,
    now: datetime | None = None,
    systems: Systems | None = None,
    env: Mapping[str, str] | None = None,
    expand: bool = True,
    request_ref: str | None = None,
    parallel: bool = True,
) -> ErasureResult:
    """Erase a subject per the policy (or plan it with dry_run); audited per system.

    Where every system lives in one PostgreSQL database and the search's last identity-expansion
    pass would only search tables searched before, that pass goes with the changes as guards; in
    the rare case that it finds more rows (a second record of the subject), the changes are
    rolled back and the erasure is made again with a full search first."""
    ids = require_identities(identities)
    now = now or utcnow()
    with systems_for(policy, systems, env) as sy:
        attempt = partial(_erase, session, policy, ids, sy, hasher=hasher, actor=actor, dry_run=dry_run,
                          only=only, now=now, expand=expand, request_ref=request_ref, parallel=parallel)
        if not dry_run and only is None and expand:
            try:
                return attempt(defer=True)
            except StaleFinds:
                pass
        return attempt(defer=False)


def _erase(session: Session, policy: Policy, ids: list[Identity], sy: Systems, *, hasher: Hasher, actor: str,
           dry_run: bool, only: Collection[str] | None, now: datetime, expand: bool, request_ref: str | None,
           parallel: bool, defer: bool) -> ErasureResult:
    """One attempt at an erasure; with `defer`, StaleFinds when a guard found more (nothing
    is then changed or recorded)."""
    dm = DataMap.of(policy)
    subject = subject_hash(hasher, ids)
    with ExitStack() as stack:
        # Rows are found and changed in the same transaction; systems on one database share it.
        by_db: dict[str, Tx] = {}
        txs: dict[str, Tx] = {}
        writable = {_db(sy, s) for s in (only if only is not None else [])}

        def session_for(system: str) -> ConnectorSession:
            connector = sy.get(system)
            key = _db(sy, system)
            tx = by_db.get(key)
            if tx is None:
                tx = connector.begin(write=not dry_run and (only is None or key in writable))
                stack.callback(tx.close)
                by_db[key] = tx
            txs[system] = tx
            return tx.session_for(connector)

        holds: list[Any] = []  # read while the first lookups are on their way
        ahead: list[tuple[ErasurePlan, dict[str, Changes]]] = []  # made while expansion is on its way

        def planned(found: Discovery, ask: Callable[[str], ConnectorSession] | None) -> tuple[
                ErasurePlan, dict[str, Changes]]:
            forced = forced_holds(hasher, found, holds) or None
            plan = plan_erasure(policy, dm, found, lambda ref: sy.get(ref.system).columns(ref.table),
                                today=now.date(), hasher=hasher, session_for=ask, forced=forced)
            return plan, {} if dry_run else {s: system_changes(dm, plan, s) for s in plan.systems()}

        found = discover(dm, sy.get, ids, country=policy.controller.country, expand=expand,
                         session_for=session_for, shared_by=lambda system: _db(sy, system),
                         meanwhile=lambda: holds.extend(active_holds(session, now)),
                         ahead=lambda so_far: ahead.append(planned(so_far, None)),
                         defer=defer and len({_db(sy, s) for s in dm.systems()}) == 1,
                         read_references=False)
        if ahead and found.same_finds(ahead[-1][0].discovery) and not asks_references(dm, ahead[-1][0]):
            plan, changes = ErasurePlan(found, ahead[-1][0].tables), ahead[-1][1]
        else:
            plan, changes = planned(found, session_for)
        targets = [s for s in plan.systems() if only is None or s in only]
        groups: dict[int, list[str]] = {}
        for system in [] if dry_run else targets:
            groups.setdefault(id(txs[system]), []).append(system)
        overlap = not (parallel and len(groups) > 1)  # the state session is not shared by threads
        # With one transaction to wait for and nothing but audit entries to record (no held
        # rows, no vault keys), the outcome is recorded while the changes are on their way, as
        # if they succeed, after a savepoint; a failure rolls back to it.
        ahead_ok = len(groups) == 1 and not plan.deferred() and not dm.encrypted
        result: ErasureResult | None = None
        assumed: dict[str, SystemStatus] | None = None

        def prepare(outcome_known: bool = False) -> None:
            """What does not depend on the changes' outcome: done while they are on their way."""
            nonlocal result, assumed
            if result is None:
                result = _result(policy, plan, dry_run, now, ids, only)
                audit_service.lock(session)  # the audit chain's lock first, then other state rows
                if ahead_ok and not outcome_known:
                    assumed = _statuses(plan, targets, dry_run, dict.fromkeys(targets))
                    hot.savepoint(session, _SAVEPOINT)
                    _record(session, policy, hasher, plan, result, assumed, subject, actor, request_ref, now)

        def run(names: list[str]) -> tuple[list[str], str | None]:
            tx = txs[names[0]]
            try:
                for n, system in enumerate(names, 1):
                    apply_system(tx.session_for(sy.get(system)), dm, plan, system,
                                 last=n == len(names), meanwhile=prepare if overlap else None,
                                 changes=changes.get(system), guards=found.guards.get(system, ()))
                tx.commit()
            except StaleFinds:
                tx.rollback()
                raise
            except PersondataError as exc:
                tx.rollback()
                return names, str(exc)
            return names, None

        try:
            for system, guards in found.guards.items():  # guards of systems with nothing to change
                if system not in targets:
                    session_for(system).write([], guards=guards)
            outcomes = [run(names) for names in groups.values()] if overlap else in_parallel(
                run, list(groups.values()))
        except StaleFinds:
            if assumed is not None:
                _take_back(session)
            raise
    statuses = _statuses(plan, targets, dry_run, {s: error for names, error in outcomes for s in names})
    prepare(outcome_known=True)
    assert result is not None
    if assumed is not None:
        if statuses == assumed:
            hot.savepoint(session, _SAVEPOINT, "RELEASE SAVEPOINT")
            return result
        _take_back(session)  # a system failed
    _record(session, policy, hasher, plan, result, statuses, subject, actor, request_ref, now)
    return result


_SAVEPOINT = "persondata_erasure_outcome"


def _take_back(session: Session) -> None:
    """Undo the outcome recorded ahead (back to its savepoint); the audit head is read again."""
    hot.savepoint(session, _SAVEPOINT, "ROLLBACK TO SAVEPOINT")
    hot.savepoint(session, _SAVEPOINT, "RELEASE SAVEPOINT")
    audit_service.forget_head(session)


def _statuses(plan: ErasurePlan, targets: list[str], dry_run: bool,
              errors: dict[str, str | None]) -> dict[str, SystemStatus]:
    """Each system's status: done or failed (with its error) where changes were made, else
    planned (a dry run) or skipped."""
    out = {s: SystemStatus(system=s, status="failed" if e else "done", error=e) for s, e in errors.items()}
    for s in plan.systems():
        out.setdefault(s, SystemStatus(system=s, status="planned" if dry_run and s in targets else "skipped"))
    return out


def _record(session: Session, policy: Policy, hasher: Hasher, plan: ErasurePlan, result: ErasureResult,
            statuses: dict[str, SystemStatus], subject: str, actor: str, request_ref: str | None,
            now: datetime) -> None:
    """The state's part of an outcome: the statuses on the result, deferred erasures and the
    held_rows restriction for held rows, crypto-shredding, and one audit entry per system."""
    result.systems = [statuses[s] for s in sorted(statuses)]
    done = [s for s, st in statuses.items() if st.status == "done"]
    identities = plan.discovery.identities
    if not result.dry_run:
        result.deferred_recorded = _record_holds(session, hasher, plan, done, subject, identities,
                                                 actor, request_ref, now)
        if done:
            result.keys_shredded = _shred_keys(session, policy, hasher, plan, identities, actor, now)
    entries = []
    for system in sorted(statuses) or [""]:
        st = statuses.get(system)
        tables = [t for t in result.tables if t.system == system]
        entries.append(NewEntry(
            actor=actor, action="dsr.erase.plan" if result.dry_run else "dsr.erase", subject=subject,
            target=system or None,
            details={"status": st.status if st else "nothing", "error": st.error if st else None,
                     "identities": sorted({i.kind for i in identities}),
                     "tables": {t.table: {"deleted": t.deleted, "anonymised": t.anonymised,
                                          "held": t.held} for t in tables},
                     "request": request_ref},
            at=now))
    audit_service.record_many(session, entries)  # one entry per system, one insert


def _shred_keys(session: Session, policy: Policy, hasher: Hasher, plan: ErasurePlan,
                identities: Sequence[Identity], actor: str, now: datetime) -> int:
    """Crypto-shredding: destroy the subject's vault keys, unless a held row still needs them."""
    from persondata.vault.service import shred_subjects

    encrypted = DataMap.of(policy).encrypted
    if not encrypted:
        return 0
    if any(ref in encrypted and tp.held_keys() for ref, tp in plan.tables.items()):
        return 0  # held encrypted rows: the keys go when their deferred erasure is carried out
    return shred_subjects(session, identity_hashes(hasher, identities), actor=actor, now=now)


def _record_holds(session: Session, hasher: Hasher, plan: ErasurePlan, done: list[str], subject: str,
                  identities: Sequence[Identity], actor: str, request_ref: str | None, now: datetime) -> int:
    """Deferred erasures for held rows of the systems done, and the held_rows restriction."""
    items = _deferred(plan, done, subject, "", request_ref, now)
    if not items:
        return 0
    existing = repository.open_deferred(session, subject_hashes=[subject])
    group = existing[0].group_id if existing else str(uuid.uuid4())
    for item in items:
        item.group_id = group
    new, updated = repository.upsert_deferred(session, items)
    hashes = identity_hashes(hasher, identities)
    active = {r.identity_hash for r in repository.active_restrictions(session, hashes)
              if r.scope == "held_rows"}
    repository.add_restrictions(session, [
        Restriction(group_id=group, identity_hash=h, kind=i.kind, scope="held_rows",
                    reason="rows held against an erasure request until their legal retention ends",
                    request_ref=request_ref, actor=actor, created_at=now)
        for h, i in zip(hashes, identities, strict=True) if h not in active])
    return new + updated


def _result(policy: Policy, plan: ErasurePlan, dry_run: bool, now: datetime, ids: list[Identity],
            only: Collection[str] | None) -> ErasureResult:
    """The result of an erasure, all but the systems' statuses."""
    tables: list[TableErasureOut] = []
    held: list[HeldRow] = []
    touched: list[str] = []
    dm = DataMap.of(policy)
    order = {ref: i for i, ref in enumerate(r for s in dm.systems() for r in dm.order(s))}
    for ref in sorted(plan.tables, key=order.__getitem__):
        tp = plan.tables[ref]
        out = _table_out(tp, tp.row_plan)
        tables.append(out)
        for row in out.rows:
            if row.action == "held":
                held.append(HeldRow(system=ref.system, table=ref.table, key=row.key, purpose=row.hold_purpose,
                                    law=row.hold_law, until=row.hold_until))
        if (out.deleted or out.anonymised) and (only is None or ref.system in only):
            purposes = policy.systems[ref.system].tables[ref.table].purposes
            touched += [p for p in purposes if p not in touched]
    for ref, found in sorted(plan.discovery.references.items(), key=lambda item: order[item[0]]):
        tables.append(TableErasureOut(
            system=ref.system, table=ref.table, mode="reference", reported_only=len(found.rows),
            rows=[RowAction(key=k, action="report", note="shared; reached by reference")
                  for k in sorted(found.rows, key=lambda k: (str(type(k)), k))]))
    totals = {k: sum(getattr(t, k) for t in tables)
              for k in ("deleted", "anonymised", "held", "reported_only", "unchanged")}
    return ErasureResult(
        dry_run=dry_run, at=now, requested=identity_strings(ids),
        identities=identity_strings(plan.discovery.identities), tables=tables, held=held,
        notify=recipients_of(policy, touched, policy.controller.languages[0]), totals=totals)
