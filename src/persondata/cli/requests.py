"""`persondata requests ...`: the DPO's request queue, from intake to a closed, documented answer."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from persondata.cli import _context
from persondata.cli import _requests_view as view

if TYPE_CHECKING:
    from persondata.jobs.env import JobEnv
    from persondata.requests.service import Ctx

requests_app = typer.Typer(help="Data subject requests: intake, verification, deadlines, answers.",
                           no_args_is_help=True)
JsonFlag = _context.JsonFlag
Id = typer.Argument(..., help="The request id.")


def _ctx(c: _context.CliContext) -> Ctx:
    from persondata.db.base import utcnow
    from persondata.identity import Hasher
    from persondata.requests.service import Ctx

    return Ctx(policy=c.policy().policy, hasher=Hasher(c.settings.require("hash_key")),
               secret_key=c.settings.require("secret_key"), actor=_context.actor(), now=utcnow())


def _env(c: _context.CliContext) -> JobEnv:
    from persondata.jobs.env import JobEnv, lease_from_env

    return JobEnv(settings=c.settings, policy_override=c.policy().policy, database=c.db(),
                  lease=lease_from_env(), actor=_context.actor())


def _mail(c: _context.CliContext, request_id: int | None) -> dict[str, Any]:
    """Send what this command queued; a failure leaves it queued for the worker and is reported."""
    from persondata.jobs.tasks import deliver_mail

    report = deliver_mail(_env(c), request_id)
    for message_id, error in report.failed.items():
        c.err.print(f"warning: mail {message_id} not sent, it stays queued: {error}", highlight=False)
    return {"sent": report.sent, "failed": report.failed}


def _show(c: _context.CliContext, request_id: int, extra: dict[str, Any] | None = None,
          message: str | None = None, audited: bool = False) -> None:
    from persondata.requests.service import load, record_read, today
    from persondata.requests.views import full

    ctx = _ctx(c)
    with c.db().transaction() as s:
        req = load(s, request_id)
        data = full(s, req, today(ctx), ctx.country)
        if audited:
            record_read(s, ctx, req, "viewed")
    data.update(extra or {})
    c.emit(data, lambda: view.detail(c.out, data, message))


@requests_app.command("open")
def open_(
    ctx: typer.Context,
    type_: str = typer.Option(..., "--type", "-t", help="access, portability, erasure, rectification, "
                              "restriction, objection or consent_withdrawal."),
    identity: list[str] = typer.Option(..., "--identity", "-i", help="KIND=VALUE; repeat for more."),
    channel: str = typer.Option("email", "--channel", help="web, email, letter or phone."),
    language: str | None = typer.Option(None, "--language", "-l", help="da, nb or en (default: policy)."),
    received: str | None = typer.Option(None, "--received", help="When it arrived: 2027-02-28 or "
                                        "2027-02-28T14:30 (controller local time); default now."),
    contact: str | None = typer.Option(None, "--contact", help="E-mail for letters, if not an identity."),
    set_: list[str] = typer.Option([], "--set", help="Rectification: FIELD=VALUE; repeat for more."),
    purpose: list[str] = typer.Option([], "--purpose", help="Objection / consent withdrawal: purpose."),
    no_code: bool = typer.Option(False, "--no-code", help="Do not e-mail a verification code now."),
    json_flag: bool = JsonFlag,
) -> None:
    """Record a request, compute its deadline, confirm receipt, and send the verification code."""
    from persondata.requests.deadlines import parse_received
    from persondata.requests.service import NewRequest, open_request

    c = _context.get(ctx, json_flag)
    rctx = _ctx(c)
    details: dict[str, Any] = {}
    if set_:
        pairs = [s.partition("=") for s in set_]
        bad = [s for s, (_, sep, _) in zip(set_, pairs, strict=True) if not sep]
        if bad:
            from persondata.errors import InputError

            raise InputError(f"--set {bad[0]!r} must look like FIELD=VALUE")
        details["set"] = {k.strip(): v for k, _, v in pairs}
    if purpose:
        details["purposes" if type_ == "consent_withdrawal" else "purpose"] = (
            purpose if type_ == "consent_withdrawal" else purpose[0])
    when = parse_received(received, rctx.country, rctx.now) if received else None
    new = NewRequest(type=type_, identities=identity, channel=channel, language=language, received_at=when,
                     contact_email=contact, details=details, send_code=not no_code)
    with c.db().transaction() as s:
        req = open_request(s, rctx, new)
        code_sent = req.state == "awaiting_verification"
        request_id = req.id
    mail = _mail(c, request_id)
    note = "; verification code e-mailed" if code_sent else ""
    _show(c, request_id, {"mail_delivery": mail}, f"request {request_id} opened{note}")


@requests_app.command("list")
def list_(
    ctx: typer.Context,
    all_: bool = typer.Option(False, "--all", help="Include closed requests."),
    state: list[str] = typer.Option([], "--state", help="Only these states."),
    json_flag: bool = JsonFlag,
) -> None:
    """Requests by deadline, flagging the overdue and those due within 7 days."""
    from persondata.requests.schemas import State, parse_choice
    from persondata.requests.service import record_read, today
    from persondata.requests.views import listing

    c = _context.get(ctx, json_flag)
    rctx = _ctx(c)
    states = [parse_choice(State, s, "state") for s in state] or None
    with c.db().transaction() as s:
        rows = listing(s, today(rctx), include_closed=all_, states=states, country=rctx.country)
        record_read(s, rctx, None, "listed", {"count": len(rows), "all": all_, "states": states or []})
    c.emit(rows, lambda: view.table(c.out, rows))


@requests_app.command("show")
def show(ctx: typer.Context, request_id: int = Id, json_flag: bool = JsonFlag) -> None:
    """Everything about one request: deadline, timeline, attempts, Art. 19 tasks, letters."""
    _show(_context.get(ctx, json_flag), request_id, audited=True)


@requests_app.command("send-code")
def send_code_(ctx: typer.Context, request_id: int = Id, json_flag: bool = JsonFlag) -> None:
    """E-mail a new one-time code (the old one stops working)."""
    from persondata.requests.service import send_code

    c = _context.get(ctx, json_flag)
    with c.db().transaction() as s:
        send_code(s, _ctx(c), request_id)
    mail = _mail(c, request_id)
    _show(c, request_id, {"mail_delivery": mail}, "new code e-mailed; it is valid for 15 minutes")


@requests_app.command("verify")
def verify(
    ctx: typer.Context,
    request_id: int = Id,
    code: str | None = typer.Option(None, "--code", help="The code the subject received."),
    manual: bool = typer.Option(False, "--manual", help="Record a check made another way."),
    note: str = typer.Option("", "--note", help="How the identity was checked (with --manual)."),
    json_flag: bool = JsonFlag,
) -> None:
    """Verify the requester: the e-mailed code, or a manual check with a note."""
    from persondata.errors import DeniedError, InputError
    from persondata.requests.service import verify_code, verify_manual

    c = _context.get(ctx, json_flag)
    if manual == (code is not None):
        raise InputError("give either --code CODE or --manual --note '...'")
    with c.db().transaction() as s:
        if manual:
            verify_manual(s, _ctx(c), request_id, note)
            outcome = None
        else:
            assert code is not None
            outcome = verify_code(s, _ctx(c), request_id, code)
    if outcome is not None and not outcome.ok:
        raise DeniedError(f"request {request_id}: {outcome.reason}")  # the attempt is recorded
    _show(c, request_id, message=f"request {request_id} verified")


@requests_app.command("run")
def run(
    ctx: typer.Context,
    request_id: int = Id,
    inline: bool = typer.Option(False, "--inline", help="Execute here and now instead of on a worker."),
    note: str | None = typer.Option(None, "--note", help="A sentence for the answer letter."),
    queue_name: str = typer.Option("persondata", "--queue", envvar="PERSONDATA_QUEUE_NAME",
                                   help="Queue name (workers must use the same)."),
    json_flag: bool = JsonFlag,
) -> None:
    """Execute a verified request: queue it for `persondata worker`, or run it inline."""
    from persondata.jobs import tasks
    from persondata.requests.execution import queue_run
    from persondata.requests.service import load

    c = _context.get(ctx, json_flag)
    env = _env(c)
    with c.db().transaction() as s:
        if note:
            req = load(s, request_id, for_update=True)
            req.details = {**req.details, "answer_note": note}
        queue_run(s, _ctx(c), request_id, env.lease)
    if inline:
        outcome = tasks.execute_request(env, request_id)
        _show(c, request_id, {"outcome": outcome}, f"request {request_id}: {outcome}")
        return
    from persondata.jobs.queue import JobQueue

    q = JobQueue(env, queue_name, periodic=False)
    task_id = q.enqueue(request_id)
    _show(c, request_id, {"task": task_id, "queue": q.where()},
          f"request {request_id} queued on {q.where()}; `persondata worker` carries it out")


@requests_app.command("extend")
def extend_(
    ctx: typer.Context,
    request_id: int = Id,
    months: int = typer.Option(2, "--months", min=1, max=2, help="1 or 2 further months."),
    reason: str = typer.Option(..., "--reason", help="Why (sent to the subject)."),
    notified: str | None = typer.Option(None, "--notified", help="How the subject was told, when there "
                                        "is no e-mail address (letter, phone)."),
    json_flag: bool = JsonFlag,
) -> None:
    """Extend the deadline by up to two months (before the first deadline) and tell the subject."""
    from persondata.requests.service import extend

    c = _context.get(ctx, json_flag)
    with c.db().transaction() as s:
        req = extend(s, _ctx(c), request_id, months, reason, notified)
        due = req.due_on
    mail = _mail(c, request_id)
    _show(c, request_id, {"mail_delivery": mail}, f"request {request_id} extended; now due {due}")


@requests_app.command("reject")
def reject_(
    ctx: typer.Context,
    request_id: int = Id,
    reason: str = typer.Option(..., "--reason", help="Why (sent to the subject with the right to complain)."),
    json_flag: bool = JsonFlag,
) -> None:
    """Refuse a request with a reason; the letter names the right to complain to the authority."""
    from persondata.requests.service import reject

    c = _context.get(ctx, json_flag)
    with c.db().transaction() as s:
        reject(s, _ctx(c), request_id, reason)
    mail = _mail(c, request_id)
    _show(c, request_id, {"mail_delivery": mail}, f"request {request_id} rejected")


@requests_app.command("notify-done")
def notify_done(
    ctx: typer.Context,
    request_id: int = Id,
    recipient: str = typer.Argument(..., help="The recipient key from the policy."),
    note: str | None = typer.Option(None, "--note", help="How and when they were told."),
    json_flag: bool = JsonFlag,
) -> None:
    """Art. 19: record that a recipient was told about the erasure, rectification or restriction."""
    from persondata.requests.notifications import mark_done

    c = _context.get(ctx, json_flag)
    with c.db().transaction() as s:
        mark_done(s, _ctx(c), request_id, recipient, note)
    _show(c, request_id, message=f"{recipient} notified")


@requests_app.command("close")
def close_(
    ctx: typer.Context,
    request_id: int = Id,
    note: str | None = typer.Option(None, "--note", help="A closing note for the record."),
    json_flag: bool = JsonFlag,
) -> None:
    """Close a completed or rejected request once every Art. 19 recipient is told."""
    from persondata.requests.service import close

    c = _context.get(ctx, json_flag)
    with c.db().transaction() as s:
        close(s, _ctx(c), request_id, note)
    _show(c, request_id, message=f"request {request_id} closed")


@requests_app.command("letter")
def letter(
    ctx: typer.Context,
    request_id: int = Id,
    kind: str = typer.Argument(..., help="receipt, extension, rejection or completion."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to a file."),
    json_flag: bool = JsonFlag,
) -> None:
    """Print a letter for sending by post (requests without an e-mail address)."""
    from persondata.errors import InputError
    from persondata.requests.letters import LETTER_KINDS, render_letter
    from persondata.requests.service import load

    c = _context.get(ctx, json_flag)
    if kind not in LETTER_KINDS:
        raise InputError(f"unknown letter {kind!r}; use one of {', '.join(LETTER_KINDS)}")
    with c.db().transaction() as s:
        subject, body = render_letter(c.policy().policy, load(s, request_id), kind)
    text = f"{subject}\n\n{body}"
    if output is not None:
        output.write_text(text, encoding="utf-8")
    c.emit({"subject": subject, "body": body, "file": str(output) if output else None},
           lambda: c.out.print(text if output is None else f"letter written to {output}", highlight=False,
                               markup=False))


@requests_app.command("outbox")
def outbox(
    ctx: typer.Context,
    send: bool = typer.Option(False, "--send", help="Send what is waiting."),
    retry: int | None = typer.Option(None, "--retry", help="Queue a failed or stuck message again."),
    json_flag: bool = JsonFlag,
) -> None:
    """Show the mail waiting to go out; send it, or re-queue one that failed."""
    from persondata.mail import delivery
    from persondata.mail.repository import unsent

    c = _context.get(ctx, json_flag)
    if retry is not None:
        delivery.retry(c.db(), retry)
    result = _mail(c, None) if send or retry is not None else None
    with c.db().transaction() as s:
        rows = [{"id": m.id, "request": m.request_id, "kind": m.kind, "to": m.to_addr, "status": m.status,
                 "attempts": m.attempts, "error": m.last_error} for m in unsent(s)]
    c.emit({"waiting": rows, "delivery": result}, lambda: view.outbox(c.out, rows, result))


def register(app: typer.Typer) -> None:
    """Add the requests group."""
    app.add_typer(requests_app, name="requests")
