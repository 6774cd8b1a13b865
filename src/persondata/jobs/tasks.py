"""The jobs themselves: plain functions of (JobEnv, ids). Huey calls them; so does `--inline`.

Each is a boundary: it opens its own transactions and commits them. Each is idempotent:
executing a finished request does nothing, a step already done is skipped, and mail is keyed
in the outbox, so a retried or duplicated job never does anything twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from persondata.errors import PersondataError
from persondata.jobs import faults
from persondata.jobs.env import JobEnv
from persondata.mail.delivery import DeliveryReport, deliver_pending
from persondata.mail.outbox import queue
from persondata.mail.render import mail_language
from persondata.requests import repository
from persondata.requests.completion import finish
from persondata.requests.execution import claim, done_steps, fail, record_step, this_worker, to_resume
from persondata.requests.schemas import TERMINAL, State, deadline_flag
from persondata.requests.service import load, today
from persondata.requests.steps import plan, run_step

log = logging.getLogger("persondata.jobs")
OPEN_STATES = [s.value for s in State if s not in TERMINAL]


def execute_request(env: JobEnv, request_id: int) -> str:
    """Carry out a queued request step by step, resuming after a crashed attempt; then finish it."""
    db = env.db()
    me = this_worker()
    with db.transaction() as s:
        run = claim(s, env.ctx(), request_id, env.lease, me)
        if run is None:
            return "nothing to do"
        run_id, attempt = run.id, run.attempt
    log.info("request %s: attempt %s on %s", request_id, attempt, me)
    try:
        with db.transaction() as s:
            steps = plan(s, env.ctx(), load(s, request_id, for_update=True))
            done = set(done_steps(s, request_id))
        here = 0
        for step in steps:
            if step in done:
                continue
            with db.transaction() as s:
                ctx = env.ctx()
                req = load(s, request_id, for_update=True)
                result = run_step(s, ctx, req, step, env.exports_dir)
                record_step(s, ctx, request_id, run_id, step, result)
            here += 1
            log.info("request %s: step %s done", request_id, step)
            faults.after_step(here)
        with db.transaction() as s:
            finish(s, env.ctx(), request_id, run_id)
    except PersondataError as exc:
        with db.transaction() as s:
            fail(s, env.ctx(), request_id, run_id, str(exc))
        raise
    deliver_mail(env, request_id)
    return "completed"


def deliver_mail(env: JobEnv, request_id: int | None = None) -> DeliveryReport:
    """Send what is waiting in the outbox (of one request, or all)."""
    report = deliver_pending(env.db(), env.mail_sender(), from_addr=env.from_addr(),
                             secret_key=env.settings.require("secret_key"), request_id=request_id,
                             clock=env.clock)
    for message_id, error in report.failed.items():
        log.warning("outbox message %s not sent: %s", message_id, error)
    return report


def resume_interrupted(env: JobEnv, enqueue: Callable[[int], Any],
                       grace: timedelta = timedelta(minutes=10)) -> list[int]:
    """Queue again every request whose attempt died (or that was queued long ago and never ran).

    `enqueue` returns None when it did not queue (the request is already waiting in the queue).
    """
    with env.db().transaction() as s:
        ids = to_resume(s, env.clock(), env.lease, this_worker(), grace)
    queued = []
    for request_id in ids:
        if enqueue(request_id) is not None:
            log.info("request %s: queued again (its attempt died, or it never started)", request_id)
            queued.append(request_id)
    return queued


def send_reminders(env: JobEnv) -> dict[str, Any]:
    """Tell the DPO, once a day, which requests are overdue or due within 7 days."""
    policy = env.policy()
    ctx = env.ctx()
    day = today(ctx)
    overdue, soon = [], []
    with env.db().transaction() as s:
        for req in repository.listing(s, states=OPEN_STATES):
            flag = deadline_flag(req.state, req.due_on, day)
            item = {"id": req.id, "type": req.type, "due": req.due_on.isoformat(), "state": req.state}
            if flag == "overdue":
                overdue.append(item)
            elif flag == "due_soon":
                soon.append(item)
        if not overdue and not soon:
            return {"overdue": 0, "due_soon": 0, "sent": False}
        to = (policy.controller.dpo.email if policy.controller.dpo and policy.controller.dpo.email
              else policy.controller.email)
        context = {"today": day.isoformat(), "overdue": overdue, "due_soon": soon,
                   "controller": {"name": policy.controller.name, "email": policy.controller.email}}
        queue(s, key=f"reminder:{day.isoformat()}", kind="reminder",
              language=mail_language(policy.controller.languages[0]), to_addr=to, context=context,
              now=ctx.now)
    deliver_mail(env)
    return {"overdue": len(overdue), "due_soon": len(soon), "sent": True}


def deferred_erasures_due(env: JobEnv) -> dict[str, Any]:
    """Carry out deferred erasures whose hold has ended (the retention engine batches and reports).

    `persondata retention run` carries them out as well; both are idempotent (a record done is
    never done again).
    """
    from persondata.retention.service import run_deferred_erasures

    return {"by": "retention", "outcome": run_deferred_erasures(env.db(), env.policy(), now=env.clock(),
                                                                actor=env.actor)}
