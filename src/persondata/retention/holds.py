"""Holds placed by the DPO (litigation, an authority's order) and opt-outs of logging.

A hold covers one subject (by any identity's keyed hash), one table or a whole system, with
a reason and an optional end date; while it is in force, neither expiry nor erasure touches
what it covers, and both report it. An opt-out of logging is a per-subject setting: the rows
of tables that declare `opt_out_flag` expire at once for that subject.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from persondata.audit.service import record
from persondata.errors import ConflictError, InputError, NotFoundError
from persondata.identity import Hasher, Identity
from persondata.policy.model import Policy
from persondata.retention import repository
from persondata.retention.models import RetentionHold, RetentionOptOut

SCOPES = ("subject", "table", "system")


def place_hold(session: Session, policy: Policy, hasher: Hasher, *, reason: str, actor: str, now: datetime,
               identity: Identity | None = None, table: str | None = None, system: str | None = None,
               ends_at: datetime | None = None) -> RetentionHold:
    """Place a hold on a subject, a `system.table` or a system (exactly one of them)."""
    given = [x for x in (identity, table, system) if x is not None]
    if len(given) != 1:
        raise InputError("a hold covers exactly one of: --identity KIND=VALUE, --table SYSTEM.TABLE, "
                         "--system SYSTEM")
    if not reason or not reason.strip():
        raise InputError("a hold needs a reason (e.g. 'litigation 2025-17', 'order from Datatilsynet')")
    if ends_at is not None and ends_at <= now:
        raise InputError(f"the hold's end {ends_at:%Y-%m-%d} is not in the future")
    hold = RetentionHold(reason=reason.strip(), placed_at=now, placed_by=actor, ends_at=ends_at)
    if identity is not None:
        hold.scope, hold.subject, hold.identity_kind = "subject", hasher.hash(identity), identity.kind
    elif table is not None:
        sys_name, dot, tname = table.partition(".")
        if not dot or sys_name not in policy.systems or tname not in policy.systems[sys_name].tables:
            known = ", ".join(f"{s}.{t}" for s, sy in policy.systems.items() for t in sy.tables)
            raise InputError(f"--table {table!r} is not a table of the data map; tables: {known}")
        hold.scope, hold.system, hold.table = "table", sys_name, tname
    else:
        assert system is not None
        if system not in policy.systems:
            names = ", ".join(policy.systems)
            raise InputError(f"--system {system!r} is not in the policy; systems: {names}")
        hold.scope, hold.system = "system", system
    repository.add_hold(session, hold)
    record(session, actor=actor, action="retention.hold.place", subject=hold.subject, target=_target(hold),
           details={"hold": hold.id, "reason": hold.reason,
                    "ends_at": ends_at.isoformat() if ends_at else None}, at=now)
    return hold


def release_hold(session: Session, hold_id: int, *, actor: str, now: datetime) -> RetentionHold:
    """Release a hold; expiry and erasure resume for what it covered."""
    hold = repository.get_hold(session, hold_id)
    if hold is None:
        raise NotFoundError(f"there is no hold {hold_id}")
    if hold.released_at is not None:
        raise ConflictError(f"hold {hold_id} was released on {hold.released_at:%Y-%m-%d}")
    hold.released_at, hold.released_by = now, actor
    record(session, actor=actor, action="retention.hold.release", subject=hold.subject,
           target=_target(hold), details={"hold": hold.id}, at=now)
    return hold


def list_holds(session: Session, *, now: datetime, include_inactive: bool = False) -> list[RetentionHold]:
    """Holds in force at now (or all of them)."""
    return repository.holds(session, active_at=None if include_inactive else now)


def holds_on_subjects(session: Session, subjects: Iterable[str], *, now: datetime) -> list[RetentionHold]:
    """Holds in force on any of a subject's identity hashes (for erasure requests)."""
    wanted = set(subjects)
    return [h for h in repository.holds(session, active_at=now) if h.subject in wanted]


def holds_on_table(session: Session, system: str, table: str, *, now: datetime) -> RetentionHold | None:
    """A hold in force on a table or its system (for erasure requests)."""
    for h in repository.holds(session, active_at=now):
        if (h.scope == "table" and (h.system, h.table) == (system, table)) or \
                (h.scope == "system" and h.system == system):
            return h
    return None


def set_opt_out(session: Session, hasher: Hasher, identity: Identity, *, active: bool, actor: str,
                now: datetime) -> RetentionOptOut:
    """Record that a subject opts out of logging (or back in)."""
    subject = hasher.hash(identity)
    row = repository.opt_out(session, subject)
    if row is None:
        row = RetentionOptOut(subject=subject, identity_kind=identity.kind, since=now, actor=actor,
                              active=active, changed_at=now)
        repository.add_opt_out(session, row)
    else:
        if row.active != active and active:
            row.since = now
        row.active, row.actor, row.changed_at = active, actor, now
    record(session, actor=actor, action="retention.opt_out" if active else "retention.opt_in",
           subject=subject, target="logging", details={"kind": identity.kind}, at=now)
    return row


def _target(hold: RetentionHold) -> str:
    if hold.scope == "subject":
        return f"subject:{hold.identity_kind}"
    if hold.scope == "table":
        return f"{hold.system}.{hold.table}"
    return f"{hold.system}"


def active_holds(session: Session, now: datetime) -> list[Any]:
    """The holds in force now (to hand to forced_holds)."""
    return repository.active_holds(session, now)


def forced_holds(hasher: Hasher, discovery: Any, active: list[Any]) -> dict[Any, dict[Any, Any]]:
    """For an erasure request: the rows a DPO hold covers (the subject, or a held table or system),
    among the holds in force (`active_holds`).

    Returned as persondata.dsr's forced holds, so the erasure leaves them alone, reports them
    as held (`hold #N`, the reason, the end date) and records deferred erasures that the
    retention engine carries out once the hold has been released or has ended."""
    from persondata.dsr.holds import Hold

    if not active:
        return {}
    subjects = {hasher.hash(i) for i in discovery.identities}
    out: dict[Any, dict[Any, Any]] = {}
    for ref, found in discovery.tables.items():
        for h in active:
            covers = ((h.scope == "subject" and h.subject in subjects)
                      or (h.scope == "table" and (h.system, h.table) == (ref.system, ref.table))
                      or (h.scope == "system" and h.system == ref.system))
            if covers:
                hold = Hold(f"hold #{h.id}", h.reason, h.ends_at.date() if h.ends_at else None)
                out[ref] = {key: hold for key in found.rows}
                break
    return out
