"""Finishing a request: the summary from its steps, Art. 19 tasks, and the completion letter."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from persondata.requests import repository
from persondata.requests.execution import done_steps
from persondata.requests.letters import queue_mail
from persondata.requests.models import SubjectRequest
from persondata.requests.notifications import create_tasks
from persondata.requests.schemas import State
from persondata.requests.service import Ctx, load, move

ATTACH_LIMIT = 10 * 1024 * 1024  # larger exports are handed over another way


def summarise(ctx: Ctx, req: SubjectRequest, steps: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What was done, as the completion letter and `requests show` present it."""
    summary: dict[str, Any] = {"steps": sorted(steps)}
    if req.type == "erasure":
        tables = [t for s in steps.values() for t in s.get("tables", [])]
        groups: dict[tuple[str, str, str | None, str | None], int] = defaultdict(int)
        for s in steps.values():
            for h in s.get("held", []):
                groups[(h["system"], h["table"], h.get("law"), h.get("until"))] += 1
        summary["tables"] = tables
        summary["held"] = [{"system": sy, "table": tb, "law": law, "until": until, "rows": n}
                           for (sy, tb, law, until), n in sorted(groups.items(), key=str)]
        summary["rows"] = sum(t["deleted"] + t["anonymised"] + t["held"] for t in tables)
        summary["notify"] = sorted({k for s in steps.values() for k in s.get("notify", [])})
    elif req.type in ("access", "portability"):
        export = steps.get("export", {})
        path = Path(export["export"]) if export.get("export") else None
        attached = bool(path and path.exists() and path.stat().st_size <= ATTACH_LIMIT)
        summary["export"] = {"attached": attached, "name": path.name if path else None, "path": str(path)}
        summary["rows"] = export.get("rows", 0)
        summary["tables"] = export.get("tables", [])
    else:
        for s in steps.values():
            summary.update({k: v for k, v in s.items() if k != "counts"})
    summary["counts"] = {k: sum(int(s.get("counts", {}).get(k, 0)) for s in steps.values())
                         for k in {k for s in steps.values() for k in s.get("counts", {})}}
    if req.details.get("answer_note"):
        summary["note"] = req.details["answer_note"]
    return summary


def finish(session: Session, ctx: Ctx, request_id: int, run_id: int) -> SubjectRequest:
    """Complete the request: summary, Art. 19 tasks, completion letter queued, attempt done."""
    req = load(session, request_id, for_update=True)
    summary = summarise(ctx, req, done_steps(session, req.id))
    keys = create_tasks(session, ctx, req, summary.get("notify", []))
    known = ctx.policy.recipients
    summary["recipients"] = [known[k].name_in(req.language) if k in known else k for k in keys]
    req.result = summary
    export = summary.get("export") or {}
    attachment = Path(export["path"]) if export.get("attached") else None
    req.export_path = export.get("path")
    run = repository.get_run(session, run_id)
    if run is not None:
        run.status, run.finished_at, run.heartbeat_at = "done", ctx.now, ctx.now
    req.completed_at = ctx.now
    move(session, ctx, req, State.completed, "completed",
         {"attempt": run.attempt if run else None, "counts": summary.get("counts", {})})
    queue_mail(session, ctx.policy, req, "completion", key=f"request:{req.id}:completion", now=ctx.now,
               attachment=attachment)
    return req
