"""Restriction (Art. 18) and objection (Art. 21); the public DSR API is re-exported here.

    access(session, policy, identities, hasher=..., actor=...)          -> AccessResult
    erase(session, policy, identities, hasher=..., actor=..., dry_run)  -> ErasureResult
    rectify(session, policy, identities, {"user.contact.email": ...})   -> RectifyResult
    restrict / unrestrict(session, policy, identities, ...)             -> RestrictionResult
    restriction_status(session, identities, hasher)                     -> RestrictionStatus
    object_to(session, policy, identities, purpose, ...)                -> ObjectionResult
    carry_out_deferred(session, policy, hasher=..., now=...)            -> DeferredResult

Services never commit: the caller's transaction (CLI command, job, request) does.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from persondata.connectors.found import Discovery
from persondata.connectors.graph import DataMap, TableRef
from persondata.connectors.sql import Systems
from persondata.connectors.walk import discover
from persondata.db.base import utcnow
from persondata.dsr import repository
from persondata.dsr.access import access
from persondata.dsr.common import (
    audit,
    identity_hashes,
    identity_strings,
    recipients_of,
    require_identities,
    subject_hash,
    systems_for,
)
from persondata.dsr.deferred import carry_out_deferred
from persondata.dsr.erase import discover_identities, erase
from persondata.dsr.models import Objection, Restriction
from persondata.dsr.rectify import rectify
from persondata.dsr.results import ObjectionResult, RestrictionResult, RestrictionStatus
from persondata.errors import ConflictError, InputError, NotFoundError
from persondata.identity import Hasher, Identity
from persondata.policy.model import Basis, Policy, text_in

__all__ = ["access", "carry_out_deferred", "decide_objection", "discover_identities", "erase", "object_to",
           "rectify", "restrict", "restriction_status", "unrestrict"]


def _flag(dm: DataMap, sy: Systems, found: Discovery, value: bool,
          keep: Collection[tuple[TableRef, str]] = ()) -> tuple[dict[str, int], list[str]]:
    """Set the restricted_flag columns of the subject's rows; (rows per table, purposes touched)."""
    flagged: dict[str, int] = {}
    purposes: list[str] = []
    by_system: dict[str, list[tuple[TableRef, list[object], str]]] = {}
    for ref, table in found.tables.items():
        purposes += [p for p in dm.spec(ref).purposes if p not in purposes]
        flag = dm.spec(ref).restricted_flag
        keys = [k for k in table.rows if (ref, repository.row_key(k)) not in keep]
        if flag and keys:
            by_system.setdefault(ref.system, []).append((ref, keys, flag))
    for system, items in sorted(by_system.items()):
        with sy.get(system).session(write=True) as s:
            for ref, keys, flag in items:
                s.update(ref.table, keys, {flag: value})
                flagged[str(ref)] = len(keys)
    return flagged, purposes


def restrict(
    session: Session, policy: Policy, identities: Sequence[Identity], *, hasher: Hasher, actor: str,
    reason: str | None = None, now: datetime | None = None, systems: Systems | None = None,
    env: Mapping[str, str] | None = None, expand: bool = True, request_ref: str | None = None,
) -> RestrictionResult:
    """Mark the subject restricted (every identity's keyed hash) and set the data map's restricted flags."""
    ids = require_identities(identities)
    now = now or utcnow()
    with systems_for(policy, systems, env) as sy:
        dm = DataMap.of(policy)
        found = discover(dm, sy.get, ids, country=policy.controller.country, expand=expand)
        flagged, purposes = _flag(dm, sy, found, True)
    hashes = identity_hashes(hasher, found.identities)
    active = {r.identity_hash for r in repository.active_restrictions(session, hashes)
              if r.scope == "subject"}
    group = str(uuid.uuid4())
    new = [Restriction(group_id=group, identity_hash=h, kind=i.kind, scope="subject", reason=reason,
                       request_ref=request_ref, actor=actor, created_at=now)
           for h, i in zip(hashes, found.identities, strict=True) if h not in active]
    audit(session, actor=actor, action="dsr.restrict", subject=subject_hash(hasher, ids), target=None,
          details={"new": len(new), "flagged": flagged, "reason": reason, "request": request_ref}, at=now)
    repository.add_restrictions(session, new)
    return RestrictionResult(action="restrict", at=now, identities=identity_strings(found.identities),
                             changed=bool(new), flagged=flagged,
                             notify=recipients_of(policy, purposes, policy.controller.languages[0]))


def unrestrict(
    session: Session, policy: Policy, identities: Sequence[Identity], *, hasher: Hasher, actor: str,
    now: datetime | None = None, systems: Systems | None = None, env: Mapping[str, str] | None = None,
    expand: bool = True, request_ref: str | None = None,
) -> RestrictionResult:
    """Lift the subject's restriction; rows still held against an erasure stay flagged."""
    ids = require_identities(identities)
    now = now or utcnow()
    with systems_for(policy, systems, env) as sy:
        dm = DataMap.of(policy)
        found = discover(dm, sy.get, ids, country=policy.controller.country, expand=expand)
        hashes = identity_hashes(hasher, found.identities)
        groups = sorted({r.group_id for r in repository.active_restrictions(session, hashes)
                         if r.scope == "held_rows"})
        pending = repository.open_deferred(session, subject_hashes=hashes)
        pending += repository.open_deferred(session, group_ids=groups) if groups else []
        held = {(TableRef(d.system, d.table_name), d.row_key) for d in pending}
        flagged, purposes = _flag(dm, sy, found, False, keep=held)
    audit(session, actor=actor, action="dsr.unrestrict", subject=subject_hash(hasher, ids), target=None,
          details={"unflagged": flagged, "request": request_ref}, at=now)
    lifted = repository.lift_restrictions(session, hashes, scope="subject", at=now, by=actor)
    return RestrictionResult(action="unrestrict", at=now, identities=identity_strings(found.identities),
                             changed=lifted > 0, flagged=flagged,
                             notify=recipients_of(policy, purposes, policy.controller.languages[0]))


def restriction_status(session: Session, identities: Sequence[Identity], hasher: Hasher) -> RestrictionStatus:
    """Whether any of the identities is restricted now (no system is contacted)."""
    ids = require_identities(identities)
    hashes = identity_hashes(hasher, ids)
    rows = repository.active_restrictions(session, hashes)
    groups = sorted({r.group_id for r in rows if r.scope == "held_rows"})
    held = repository.open_deferred(session, group_ids=groups) if groups else []
    return RestrictionStatus(restricted=bool(rows), scopes=sorted({r.scope for r in rows}),
                             since=min((r.created_at for r in rows), default=None), held_rows=len(held))


def object_to(
    session: Session, policy: Policy, identities: Sequence[Identity], purpose: str, *, hasher: Hasher,
    actor: str, grounds: str | None = None, now: datetime | None = None, request_ref: str | None = None,
) -> ObjectionResult:
    """Art. 21: direct marketing stops at once (consents withdrawn, suppressed); else the DPO decides."""
    ids = require_identities(identities)
    now = now or utcnow()
    p = policy.purposes.get(purpose)
    if p is None:
        raise InputError(f"unknown purpose {purpose!r}; the policy has: {', '.join(policy.purposes)}")
    subject = subject_hash(hasher, ids)
    if purpose in policy.marketing_purposes():
        from persondata.consent.schemas import Source
        from persondata.consent.suppression import suppress

        withdrawn: list[str] = []
        for identity in ids:
            done = suppress(session, policy, hasher, identity, actor=actor, source=Source.admin,
                            reason=f"objection to direct marketing ({purpose}, Art. 21(3))", at=now)
            withdrawn += [w for w in done.withdrawn if w not in withdrawn]
        row = repository.add_objection(session, Objection(
            subject_hash=subject, purpose=purpose, kind="direct_marketing", grounds=grounds, status="applied",
            request_ref=request_ref, actor=actor, created_at=now, decided_at=now, decided_by=actor,
            decision_note="Art. 21(3): direct marketing stops"))
        audit(session, actor=actor, action="dsr.object", subject=subject, target=purpose,
              details={"kind": "direct_marketing", "withdrawn": withdrawn, "request": request_ref}, at=now)
        return ObjectionResult(purpose=purpose, kind="direct_marketing", status="applied",
                               withdrawn=withdrawn, suppressed=True, objection_id=row.id)
    if p.basis not in (Basis.legitimate_interest, Basis.public_task):
        raise ConflictError(
            f"purpose {purpose!r} is based on {p.basis.value}; an objection (Art. 21) applies to legitimate"
            f" interest, public task and direct marketing — consider withdrawal of consent or erasure")
    interest = text_in(p.interest, policy.controller.languages[0]) or None
    existing = repository.find_objection(session, subject, purpose)
    if existing is not None and existing.status == "pending":
        return ObjectionResult(purpose=purpose, kind=existing.kind, status="pending",
                               interest=existing.interest, objection_id=existing.id)
    row = repository.add_objection(session, Objection(
        subject_hash=subject, purpose=purpose, kind=p.basis.value, interest=interest, grounds=grounds,
        status="pending", request_ref=request_ref, actor=actor, created_at=now))
    audit(session, actor=actor, action="dsr.object", subject=subject, target=purpose,
          details={"kind": p.basis.value, "status": "pending", "request": request_ref}, at=now)
    return ObjectionResult(purpose=purpose, kind=p.basis.value, status="pending", interest=interest,
                           objection_id=row.id)


def decide_objection(session: Session, objection_id: int, *, upheld: bool, note: str, actor: str,
                     now: datetime | None = None) -> ObjectionResult:
    """The DPO's decision on a pending objection: upheld (processing stops) or rejected (with reasons)."""
    now = now or utcnow()
    row = repository.get_objection(session, objection_id)
    if row is None:
        raise NotFoundError(f"no objection {objection_id}")
    if row.status != "pending":
        raise ConflictError(f"objection {objection_id} is already {row.status}")
    if not note.strip():
        raise InputError("a decision needs a note with the reasons")
    row.status = "upheld" if upheld else "rejected"
    row.decided_at, row.decided_by, row.decision_note = now, actor, note
    audit(session, actor=actor, action="dsr.object.decide", subject=row.subject_hash, target=row.purpose,
          details={"objection": objection_id, "status": row.status}, at=now)
    return ObjectionResult(purpose=row.purpose, kind=row.kind, status=row.status, interest=row.interest,
                           objection_id=row.id)
