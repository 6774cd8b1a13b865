"""`persondata breach open|count|list|show|update|draft|close`: the breach register.

Times are ISO 8601 with an offset (2027-03-24T10:00+01:00) or local time in the controller's
time zone (2027-03-24 10:00). `--now` (or PERSONDATA_NOW) fixes the clock, for tests and drills.
"""

from __future__ import annotations

from pathlib import Path

import typer

from persondata.cli import _breach_support as support
from persondata.cli import _context
from persondata.errors import InputError

breach_app = typer.Typer(help="The breach register: cases, deadlines, counts and drafts.",
                         no_args_is_help=True)

NowOpt = typer.Option(None, "--now", envvar="PERSONDATA_NOW", hidden=True,
                      help="Pretend the time is this (tests, drills).")
ActorOpt = typer.Option(None, "--actor", envvar="PERSONDATA_ACTOR",
                        help="Who makes the change (default: cli:<login name>).")


@breach_app.command("open")
def open_(
    ctx: typer.Context,
    aware: str = typer.Option(..., "--aware", help="When you became aware of the breach."),
    discovery: str = typer.Option(..., "--discovery", help="internal, processor or external_reporter."),
    description: str = typer.Option(..., "--description", "-d", help="What happened."),
    title: str | None = typer.Option(None, "--title", help="A short title (default: from the description)."),
    occurred: str | None = typer.Option(None, "--occurred", help="When the breach happened, if known."),
    reported: str | None = typer.Option(None, "--reported", help="When the outside report arrived "
                                        "(default: the awareness time)."),
    reporter_name: str | None = typer.Option(None, "--reporter-name", help="Reporter's name (optional)."),
    reporter_contact: str | None = typer.Option(None, "--reporter-contact",
                                                help="How to answer the reporter (leave out: anonymous)."),
    system: list[str] = typer.Option([], "--system", help="An affected system (repeatable)."),
    table: list[str] = typer.Option([], "--table", help="An affected system.table (repeatable)."),
    category: list[str] = typer.Option([], "--category", help="An affected data category (repeatable)."),
    subjects: int | None = typer.Option(None, "--subjects", help="Approximate number of people."),
    records: int | None = typer.Option(None, "--records", help="Approximate number of records."),
    consequences: str | None = typer.Option(None, "--consequences", help="Likely consequences."),
    measures_taken: str | None = typer.Option(None, "--measures-taken", help="Measures taken."),
    measures_proposed: str | None = typer.Option(None, "--measures-proposed", help="Measures proposed."),
    risk: str | None = typer.Option(None, "--risk", help=support.risk_help()),
    now: str | None = NowOpt,
    actor: str | None = ActorOpt,
    json_flag: bool = _context.JsonFlag,
) -> None:
    """Register a breach (every breach is documented, even when not notifiable)."""
    from persondata.breaches import service, views
    from persondata.breaches.schemas import CaseCreate

    c = _context.get(ctx, json_flag)
    policy = c.policy().policy
    zone = support.zone_for(policy.controller.country)
    clock = support.clock(now, zone)
    data = support.validated(CaseCreate, {
        "aware_at": support.when(aware, zone, "--aware"), "discovery": discovery, "description": description,
        "title": title or support.title_of(description),
        "occurred_at": support.when(occurred, zone, "--occurred"),
        "reported_at": support.when(reported, zone, "--reported"),
        "reporter_name": reporter_name, "reporter_contact": reporter_contact, "systems": system,
        "tables": table, "categories": category, "subjects_count": subjects, "records_count": records,
        "consequences": consequences, "measures_taken": measures_taken,
        "measures_proposed": measures_proposed, "risk": risk,
    })
    with c.db().transaction() as session:
        case = service.open_case(session, policy, data, actor=_context.actor(actor), now=clock)
        view = views.full(case, policy.breaches, clock)
    c.emit(view.model_dump(mode="json"), lambda: support.print_case(c, view, opened=True))


@breach_app.command("count")
def count(
    ctx: typer.Context,
    ref: str | None = typer.Argument(None, help="A case to prefill with the counts (BR-0001)."),
    table: list[str] = typer.Option([], "--table", help="An affected system.table (default: the case's)."),
    anchor: str | None = typer.Option(None, "--anchor", help="Anchor name or column the window applies to."),
    since: str | None = typer.Option(None, "--since", help="Only rows with the anchor at or after this."),
    until: str | None = typer.Option(None, "--until", help="Only rows with the anchor before this."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count only; do not change the case."),
    now: str | None = NowOpt,
    actor: str | None = ActorOpt,
    json_flag: bool = _context.JsonFlag,
) -> None:
    """Count the people and records in affected tables of the data map, and prefill the case."""
    from dataclasses import asdict

    from persondata.breaches import affected, service
    from persondata.breaches.schemas import CaseUpdate

    c = _context.get(ctx, json_flag)
    policy = c.policy().policy
    zone = support.zone_for(policy.controller.country)
    clock = support.clock(now, zone)
    if (since or until) and not anchor:
        raise InputError("--since/--until need --anchor (an anchor name such as last_contact, or a column)")
    window = None
    if anchor:
        window = affected.Window(anchor, support.when(since, zone, "--since"),
                                 support.when(until, zone, "--until"))
    tables = list(table)
    if ref is not None and not tables:
        with c.db().transaction() as session:
            tables = list(service.get_case(session, ref).tables)
        if not tables:
            raise InputError(f"breach case {ref} names no affected tables; give --table system.table")
    result = affected.count_affected(policy, tables, window)
    applied = None
    if ref is not None and not dry_run:
        with c.db().transaction() as session:
            case = service.get_case(session, ref)
            update = CaseUpdate(
                tables=list(dict.fromkeys([*case.tables, *tables])),
                categories=list(dict.fromkeys([*case.categories, *result.categories])),
                subjects_count=result.subjects, records_count=result.records,
                note=f"counted from the data map: about {result.subjects} people (at most "
                     f"{result.subjects_max}), {result.records} records"
                     + (f" ({window.describe()})" if window else ""),
            )
            applied = service.update_case(session, policy, ref, update, actor=_context.actor(actor),
                                          now=clock).ref
    data = {**asdict(result), "applied_to": applied}

    def human() -> None:
        for row in result.tables:
            people = "people not counted" if row.subjects is None else f"{row.subjects} people by {row.key}"
            c.out.print(f"{row.table}: {row.records} records, {people}", highlight=False, markup=False)
            c.out.print(f"  categories: {', '.join(row.categories) or '-'}", highlight=False)
            if row.window:
                c.out.print(f"  window: {row.window}", highlight=False)
        upper = "" if result.subjects == result.subjects_max else f" (at most {result.subjects_max})"
        c.out.print(f"people affected: about {result.subjects}{upper}; records: {result.records}",
                    highlight=False)
        c.out.print(f"categories: {', '.join(result.categories) or '-'}", highlight=False)
        for note in result.notes:
            c.out.print(f"note: {note}", highlight=False)
        if applied:
            c.out.print(f"{applied} updated: {result.subjects} people, {result.records} records",
                        highlight=False)

    c.emit(data, human)


@breach_app.command("list")
def list_(
    ctx: typer.Context,
    all_: bool = typer.Option(False, "--all", help="Include closed cases."),
    check: bool = typer.Option(False, "--check", help="Exit 1 when a deadline is overdue."),
    now: str | None = NowOpt,
    json_flag: bool = _context.JsonFlag,
) -> None:
    """List cases with their next deadline; flag what is overdue or due within 24 hours."""
    from persondata.breaches import service, views

    c = _context.get(ctx, json_flag)
    policy = c.policy().policy
    clock = support.clock(now, support.zone_for(policy.controller.country))
    with c.db().transaction() as session:
        rows = [views.summary(case, policy.breaches, clock)
                for case in service.list_cases(session, include_closed=all_)]

    def human() -> None:
        if not rows:
            c.out.print("no breach cases" if all_ else "no open breach cases", highlight=False)
            return
        for r in rows:
            nxt = r.next_deadline
            due = "nothing due" if nxt is None else f"next: {nxt.kind} {nxt.due_local}"
            risk = r.risk.value if r.risk else "not assessed"
            flags = f"  [red]{'; '.join(r.flags)}[/red]" if r.flags else ""
            c.out.print(f"{r.ref}  {r.status.value:<8} risk {risk:<12} aware {r.aware_local}  {due}{flags}",
                        highlight=False)
            c.out.print(f"         {r.title}", highlight=False, markup=False)

    c.emit([r.model_dump(mode="json") for r in rows], human)
    if check and any(f.startswith("overdue") for r in rows for f in r.flags):
        raise typer.Exit(1)


@breach_app.command("show")
def show_(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The case (BR-0001)."),
    now: str | None = NowOpt,
    actor: str | None = ActorOpt,
    json_flag: bool = _context.JsonFlag,
) -> None:
    """Show a case: facts, deadlines and the timeline of every change."""
    from persondata.breaches import service, views

    c = _context.get(ctx, json_flag)
    policy = c.policy().policy
    clock = support.clock(now, support.zone_for(policy.controller.country))
    with c.db().transaction() as session:
        case = service.read_case(session, ref, actor=_context.actor(actor))
        view = views.full(case, policy.breaches, clock)
    c.emit(view.model_dump(mode="json"), lambda: support.print_case(c, view))


@breach_app.command("update")
def update(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The case (BR-0001)."),
    authority_notified: str | None = typer.Option(None, "--authority-notified",
                                                  help="When the authority was notified."),
    authority_reference: str | None = typer.Option(None, "--authority-reference",
                                                   help="The authority's case number."),
    delay_reason: str | None = typer.Option(None, "--delay-reason",
                                            help="Why the notification came after 72 hours."),
    subjects_notified: str | None = typer.Option(None, "--subjects-notified",
                                                 help="When the people affected were told."),
    subjects_exemption: str | None = typer.Option(None, "--subjects-exemption",
                                                  help="Why the people are not told (Art. 34(3))."),
    receipt_sent: str | None = typer.Option(None, "--receipt-sent", help="When the reporter got a receipt."),
    feedback_sent: str | None = typer.Option(None, "--feedback-sent", help="When the reporter got feedback."),
    risk: str | None = typer.Option(None, "--risk", help=support.risk_help()),
    subjects: int | None = typer.Option(None, "--subjects", help="Approximate number of people."),
    records: int | None = typer.Option(None, "--records", help="Approximate number of records."),
    consequences: str | None = typer.Option(None, "--consequences", help="Likely consequences."),
    measures_taken: str | None = typer.Option(None, "--measures-taken", help="Measures taken."),
    measures_proposed: str | None = typer.Option(None, "--measures-proposed", help="Measures proposed."),
    description: str | None = typer.Option(None, "--description", "-d", help="What happened."),
    title: str | None = typer.Option(None, "--title", help="A short title."),
    occurred: str | None = typer.Option(None, "--occurred", help="When the breach happened."),
    reporter_name: str | None = typer.Option(None, "--reporter-name", help="Reporter's name."),
    reporter_contact: str | None = typer.Option(None, "--reporter-contact", help="Reporter's contact."),
    system: list[str] = typer.Option([], "--system", help="Affected systems (replaces the list)."),
    table: list[str] = typer.Option([], "--table", help="Affected system.table (replaces the list)."),
    category: list[str] = typer.Option([], "--category", help="Affected categories (replaces the list)."),
    note: str | None = typer.Option(None, "--note", help="A note for the timeline."),
    now: str | None = NowOpt,
    actor: str | None = ActorOpt,
    json_flag: bool = _context.JsonFlag,
) -> None:
    """Record new facts: notification, receipt and feedback times, measures, risk, counts."""
    from persondata.breaches import service, views
    from persondata.breaches.schemas import CaseUpdate

    c = _context.get(ctx, json_flag)
    policy = c.policy().policy
    with c.db().transaction() as session:
        zone = support.zone_for(service.get_case(session, ref).country)
        clock = support.clock(now, zone)
        changes = support.validated(CaseUpdate, {
            "authority_notified_at": support.when(authority_notified, zone, "--authority-notified"),
            "authority_reference": authority_reference, "delay_reason": delay_reason,
            "subjects_notified_at": support.when(subjects_notified, zone, "--subjects-notified"),
            "subjects_exemption": subjects_exemption,
            "receipt_sent_at": support.when(receipt_sent, zone, "--receipt-sent"),
            "feedback_sent_at": support.when(feedback_sent, zone, "--feedback-sent"),
            "risk": risk, "subjects_count": subjects, "records_count": records,
            "consequences": consequences, "measures_taken": measures_taken,
            "measures_proposed": measures_proposed, "description": description, "title": title,
            "occurred_at": support.when(occurred, zone, "--occurred"), "reporter_name": reporter_name,
            "reporter_contact": reporter_contact, "systems": system or None, "tables": table or None,
            "categories": category or None, "note": note,
        })
        case = service.update_case(session, policy, ref, changes, actor=_context.actor(actor), now=clock)
        view = views.full(case, policy.breaches, clock)
    c.emit(view.model_dump(mode="json"), lambda: support.print_case(c, view))


@breach_app.command("draft")
def draft(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The case (BR-0001)."),
    to: str = typer.Option(..., "--to", help="authority (Art. 33) or subjects (Art. 34)."),
    lang: str | None = typer.Option(None, "--lang", help="da, nb or en (default: the policy's first)."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write the draft to this file."),
    now: str | None = NowOpt,
    json_flag: bool = _context.JsonFlag,
) -> None:
    """Draft the notification to the authority or the communication to the people affected."""
    from persondata.breaches import service
    from persondata.breaches.drafts.render import render_draft
    from persondata.breaches.drafts.words import LANGS

    c = _context.get(ctx, json_flag)
    policy = c.policy().policy
    clock = support.clock(now, support.zone_for(policy.controller.country))
    language = lang or next((x for x in policy.controller.languages if x in LANGS), "en")
    with c.db().transaction() as session:
        result = render_draft(service.get_case(session, ref), policy, to, language, clock)
    if output is not None:
        try:
            output.write_text(result.text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"-o {output}: cannot write: {exc.strerror or exc}") from exc
    data = {"audience": result.audience, "lang": result.lang, "text": result.text,
            "file": str(output) if output else None}

    def human() -> None:
        if output is not None:
            c.out.print(f"draft to {result.audience} ({result.lang}) written to {output}", highlight=False)
        else:
            c.out.print(result.text, markup=False, highlight=False, end="")

    c.emit(data, human)


@breach_app.command("close")
def close(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The case (BR-0001)."),
    note: str | None = typer.Option(None, "--note", help="How the case ended."),
    now: str | None = NowOpt,
    actor: str | None = ActorOpt,
    json_flag: bool = _context.JsonFlag,
) -> None:
    """Close a case once it is assessed, notified where required and the reporter answered."""
    from persondata.breaches import service, views

    c = _context.get(ctx, json_flag)
    policy = c.policy().policy
    clock = support.clock(now, support.zone_for(policy.controller.country))
    with c.db().transaction() as session:
        case = service.close_case(session, ref, note=note, actor=_context.actor(actor), now=clock)
        view = views.full(case, policy.breaches, clock)
    c.emit(view.model_dump(mode="json"), lambda: c.out.print(f"{view.ref} closed", highlight=False))


def register(app: typer.Typer) -> None:
    """Add the breach group."""
    app.add_typer(breach_app, name="breach")
