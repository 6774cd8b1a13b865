"""The steps of a request and how each is carried out by the DSR engine (persondata.dsr).

An erasure is one step per system: the subject's identities are discovered across every
system once, at the first attempt, and kept on the request, so that a resumed attempt
erases the remaining systems for the same person even after the first system has lost
the rows that linked them. Other request types are one step. Each step returns plain JSON
that the completion letter and `requests show` use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from persondata.errors import ConflictError, InputError, SystemFailure
from persondata.identity import Identity
from persondata.policy.model import text_in
from persondata.requests.models import SubjectRequest
from persondata.requests.service import Ctx, log_event

SINGLE = {"access": "export", "portability": "export", "rectification": "rectify",
          "restriction": "restrict", "objection": "object", "consent_withdrawal": "consent"}


def identities_of(req: SubjectRequest, expanded: bool = True) -> list[Identity]:
    """The request's identities (with those discovered across the systems, when known)."""
    texts = req.details.get("expanded") if expanded else None
    if not texts:
        texts = [f"{i['kind']}={i['value']}" for i in req.identities]
    return [Identity(*t.split("=", 1)) for t in texts]  # stored normalised


def plan(session: Session, ctx: Ctx, req: SubjectRequest) -> list[str]:
    """The request's steps, fixed at the first attempt and stored on the request."""
    stored = req.details.get("plan")
    if stored:
        return list(stored)
    if req.type == "erasure":
        from persondata.dsr.erase import discover_identities

        found = discover_identities(ctx.policy, identities_of(req, expanded=False))
        steps = list(ctx.policy.systems)
        req.details = {**req.details, "plan": steps, "expanded": [str(i) for i in found]}
        log_event(session, ctx, req, "identities_discovered",
                  {"kinds": sorted({i.kind for i in found}), "count": len(found), "steps": steps})
    else:
        steps = [SINGLE[req.type]]
        req.details = {**req.details, "plan": steps}
    return steps


def run_step(session: Session, ctx: Ctx, req: SubjectRequest, step: str, exports: Path) -> dict[str, Any]:
    """Carry out one step with the DSR engine; raises SystemFailure when a system failed."""
    ref = f"request:{req.id}"
    if req.type == "erasure":
        return _erase(session, ctx, req, step, ref)
    if step == "export":
        return _export(session, ctx, req, exports, ref)
    if step == "consent":
        return _withdraw_consents(session, ctx, req)
    return _other(session, ctx, req, step, ref)


def _erase(session: Session, ctx: Ctx, req: SubjectRequest, system: str, ref: str) -> dict[str, Any]:
    from persondata.dsr.erase import erase

    result = erase(session, ctx.policy, identities_of(req), hasher=ctx.hasher, actor=ctx.actor,
                   only=[system], now=ctx.now, expand=False, request_ref=ref)
    for status in result.systems:
        if status.system == system and status.status == "failed":
            raise SystemFailure(f"erasure in system {system} failed: {status.error}")
    tables: list[dict[str, Any]] = [
        {"system": t.system, "table": t.table, "deleted": t.deleted, "anonymised": t.anonymised,
         "held": t.held, "reported": t.reported_only}
        for t in result.tables if t.system == system]
    held = [{"system": h.system, "table": h.table, "key": str(h.key), "law": h.law or h.purpose,
             "until": h.until.isoformat() if h.until else None}
            for h in result.held if h.system == system]
    counts = {k: sum(int(t[k]) for t in tables) for k in ("deleted", "anonymised", "held", "reported")}
    return {"tables": tables, "held": held, "notify": [r.key for r in result.notify],
            "deferred": result.deferred_recorded, "counts": counts}


def _export(session: Session, ctx: Ctx, req: SubjectRequest, exports: Path, ref: str) -> dict[str, Any]:
    from persondata.dsr.access import access
    from persondata.dsr.export import export_bytes

    result = access(session, ctx.policy, identities_of(req), hasher=ctx.hasher, actor=ctx.actor,
                    lang=req.language, now=ctx.now, request_ref=ref)
    exports.mkdir(parents=True, exist_ok=True)
    path = exports / f"request-{req.id}.zip"
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(export_bytes(result))
    tmp.replace(path)
    tables = [{"system": t.system, "table": t.table, "rows": len(t.rows)} for t in result.tables]
    return {"export": str(path), "rows": result.row_count, "tables": tables,
            "counts": {"rows": result.row_count}}


def _withdraw_consents(session: Session, ctx: Ctx, req: SubjectRequest) -> dict[str, Any]:
    from persondata.consent import service as consent
    from persondata.consent.schemas import Action, Change, Source

    wanted = req.details.get("purposes") or ctx.policy.consent_purposes()
    unknown = [p for p in wanted if p not in ctx.policy.consent_purposes()]
    if unknown:
        raise InputError(f"not consent purposes of the policy: {', '.join(unknown)}")
    changes = []
    for identity in identities_of(req):
        subject = ctx.hasher.hash(identity)
        for purpose in wanted:
            if consent.is_allowed(session, subject, purpose):
                changes.append(Change(identity=identity, purpose=purpose, action=Action.withdrawn,
                                      source=Source.admin, provenance=f"request:{req.id}"))
    if changes:
        consent.record_changes(session, ctx.policy, ctx.hasher, changes, actor=ctx.actor, now=ctx.now)
    withdrawn = sorted({c.purpose for c in changes})
    return {"purposes": withdrawn, "counts": {"withdrawn": len(changes)}}


def _other(session: Session, ctx: Ctx, req: SubjectRequest, step: str, ref: str) -> dict[str, Any]:
    from persondata.dsr import service as dsr

    ids = identities_of(req)
    common: dict[str, Any] = {"hasher": ctx.hasher, "actor": ctx.actor, "now": ctx.now, "request_ref": ref}
    if step == "rectify":
        changes = req.details.get("set") or {}
        if not changes:
            raise ConflictError(f"request {req.id} says nothing to correct; open it with --set FIELD=VALUE")
        fixed = dsr.rectify(session, ctx.policy, ids, changes, **common)
        fields: dict[str, int] = {}
        for change in fixed.changes:
            fields[change.column] = fields.get(change.column, 0) + change.rows
        return {"fields": [{"field": k, "rows": v} for k, v in sorted(fields.items())],
                "notify": [r.key for r in fixed.notify], "counts": {"rows": sum(fields.values())}}
    if step == "restrict":
        done = dsr.restrict(session, ctx.policy, ids, reason=f"request {req.id} (Art. 18)", **common)
        rows = sum(done.flagged.values())
        return {"rows": rows, "flagged": done.flagged, "notify": [r.key for r in done.notify],
                "counts": {"rows": rows}}
    purpose = req.details.get("purpose")
    if not purpose:
        raise ConflictError(f"request {req.id} names no purpose to object to; open it with --purpose")
    outcome = dsr.object_to(session, ctx.policy, ids, purpose, grounds=req.details.get("grounds"), **common)
    name = ctx.policy.purposes[purpose].name
    return {"purpose": purpose, "purpose_name": text_in(name, req.language), "status": outcome.status,
            "kind": outcome.kind, "withdrawn": outcome.withdrawn, "suppressed": outcome.suppressed,
            "objection_id": outcome.objection_id, "counts": {"withdrawn": len(outcome.withdrawn)}}
