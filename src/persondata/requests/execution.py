"""Executing a request: attempts (runs), per-system steps, and finishing, so that a crash can resume.

An attempt is a RequestRun row (host, pid, heartbeat). A request is worked by one live
attempt at a time; an attempt is dead when its process is gone (same host) or its heartbeat
is older than the lease (another host). Work is split into steps (one per system for an
erasure), each recorded in its own transaction after the DSR engine has committed that
system, so a new attempt skips what is done and carries on with the rest. Every attempt,
interruption and step is in the audit log.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from persondata.errors import ConflictError
from persondata.requests import repository
from persondata.requests.models import RequestRun, RequestStep, SubjectRequest
from persondata.requests.schemas import State
from persondata.requests.service import Ctx, load, log_event, move

LEASE = timedelta(minutes=30)


@dataclass(frozen=True)
class Worker:
    """The process doing the work."""

    host: str
    pid: int

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}"


def this_worker() -> Worker:
    """This process."""
    return Worker(socket.gethostname(), os.getpid())


def pid_alive(pid: int) -> bool:
    """True when a process with this id exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_live(run: RequestRun, now: datetime, lease: timedelta, me: Worker) -> bool:
    """Whether an attempt may still be working."""
    if run.status != "running":
        return False
    if run.host == me.host and not pid_alive(run.pid):
        return False
    return now - run.heartbeat_at < lease


def _mark_dead_runs(session: Session, ctx: Ctx, req: SubjectRequest, lease: timedelta, me: Worker) -> None:
    for run in repository.runs(session, req.id):
        if run.status == "running" and not is_live(run, ctx.now, lease, me):
            run.status, run.finished_at = "interrupted", ctx.now
            run.error = f"worker {run.host}:{run.pid} stopped (last heartbeat {run.heartbeat_at.isoformat()})"
            log_event(session, ctx, req, "run_interrupted", {"attempt": run.attempt, "worker": f"{run.host}:"
                                                             f"{run.pid}"})


def queue_run(session: Session, ctx: Ctx, request_id: int, lease: timedelta = LEASE,
              me: Worker | None = None) -> SubjectRequest:
    """Accept a request for execution: verified -> in progress, or resume one whose attempt died."""
    me = me or this_worker()
    req = load(session, request_id, for_update=True)
    if req.state == State.verified:
        req.queued_at = ctx.now
        move(session, ctx, req, State.in_progress, "queued")
        return req
    if req.state != State.in_progress:
        hint = " (verify it first)" if req.state in (State.received, State.awaiting_verification) else ""
        raise ConflictError(f"request {req.id} is {req.state}; only a verified request can be run{hint}")
    _mark_dead_runs(session, ctx, req, lease, me)
    live = [r for r in repository.runs(session, req.id) if r.status == "running"]
    if live:
        r = live[-1]
        raise ConflictError(f"request {req.id} is being executed by {r.host}:{r.pid} (attempt {r.attempt}, "
                            f"last heartbeat {r.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC)")
    req.queued_at = ctx.now
    log_event(session, ctx, req, "requeued", {})
    return req


def claim(session: Session, ctx: Ctx, request_id: int, lease: timedelta = LEASE,
          me: Worker | None = None) -> RequestRun | None:
    """Start an attempt; None when there is nothing to do (finished, or a live attempt has it)."""
    me = me or this_worker()
    req = load(session, request_id, for_update=True)
    if req.state in (State.completed, State.rejected):
        return None
    if req.state != State.in_progress:
        raise ConflictError(f"request {req.id} is {req.state}; it was not queued for execution")
    _mark_dead_runs(session, ctx, req, lease, me)
    runs = repository.runs(session, req.id)
    if any(r.status == "running" for r in runs):
        return None
    attempt = (runs[-1].attempt if runs else 0) + 1
    run = RequestRun(request_id=req.id, attempt=attempt, status="running", host=me.host, pid=me.pid,
                     started_at=ctx.now, heartbeat_at=ctx.now)
    repository.add(session, run)
    done = [s.system for s in repository.steps(session, req.id)]
    log_event(session, ctx, req, "run_started", {"attempt": attempt, "worker": str(me), "steps_done": done})
    return run


def heartbeat(session: Session, run_id: int, now: datetime) -> None:
    """The attempt is alive."""
    run = repository.get_run(session, run_id)
    if run is not None:
        run.heartbeat_at = now


def record_step(session: Session, ctx: Ctx, request_id: int, run_id: int, step: str,
                result: dict[str, Any]) -> None:
    """One step (system) is done; committed by the caller right after the DSR engine's own commit."""
    req = load(session, request_id, for_update=True)
    run = repository.get_run(session, run_id)
    assert run is not None
    run.heartbeat_at = ctx.now
    session.add(RequestStep(request_id=req.id, system=step, attempt=run.attempt, result=result,
                            done_at=ctx.now))
    log_event(session, ctx, req, "step_done", {"step": step, "attempt": run.attempt,
                                               "counts": result.get("counts", {})})


def fail(session: Session, ctx: Ctx, request_id: int, run_id: int, error: str) -> None:
    """The attempt failed; the request stays in progress for a retry."""
    req = load(session, request_id, for_update=True)
    run = repository.get_run(session, run_id)
    if run is not None and run.status == "running":
        run.status, run.finished_at, run.error = "failed", ctx.now, error[:2000]
        log_event(session, ctx, req, "run_failed", {"attempt": run.attempt, "error": error[:500]})


def done_steps(session: Session, request_id: int) -> dict[str, dict[str, Any]]:
    """Results of the steps done so far, by step name."""
    return {s.system: s.result for s in repository.steps(session, request_id)}


def to_resume(session: Session, now: datetime, lease: timedelta, me: Worker,
              grace: timedelta = timedelta(minutes=10)) -> list[int]:
    """Requests in progress whose attempt died, or that were queued long ago and never started."""
    out = []
    for request_id in repository.in_progress_ids(session):
        runs = repository.runs(session, request_id)
        if not runs:
            req = repository.get(session, request_id)
            if req is not None and (req.queued_at is None or now - req.queued_at >= grace):
                out.append(request_id)
        elif runs[-1].status == "interrupted" or (
                runs[-1].status == "running" and not is_live(runs[-1], now, lease, me)):
            out.append(request_id)
    return out
