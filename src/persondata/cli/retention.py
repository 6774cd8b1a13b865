"""`persondata retention plan|run|runs|hold|opt-out`: keep the policy's retention promises."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import typer

from persondata.cli import _context
from persondata.errors import InputError

if TYPE_CHECKING:
    from persondata.retention.planner import Plan
    from persondata.retention.runner import RunReport

retention_app = typer.Typer(help="Retention: plan and run the deletions the policy promises; holds.",
                            no_args_is_help=True)
hold_app = typer.Typer(help="Holds on a subject, a table or a system (litigation, authority order).",
                       no_args_is_help=True)
retention_app.add_typer(hold_app, name="hold")

AsOfOpt = typer.Option(None, "--as-of", help="A date or time (ISO, UTC) to plan for; default now.")
JsonOpt = _context.JsonFlag


def parse_when(text: str | None, option: str = "--as-of") -> datetime | None:
    """An ISO date (midnight UTC) or date-time (UTC unless it names its zone)."""
    if text is None:
        return None
    try:
        if len(text.strip()) == 10:
            d = date.fromisoformat(text.strip())
            return datetime(d.year, d.month, d.day, tzinfo=UTC)
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InputError(f"{option} {text!r} is not a date (2026-01-31) or date and time "
                         f"(2026-01-31T12:00)") from exc
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _show_value(v: Any) -> str:
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M") if (v.hour, v.minute) != (0, 0) else v.strftime("%Y-%m-%d")
    if isinstance(v, date):
        return v.isoformat()
    return "" if v is None else str(v)


def _render_plan(c: _context.CliContext, p: Plan) -> None:
    from rich.table import Table

    table = Table(title=f"Retention plan as of {p.as_of:%Y-%m-%d %H:%M} UTC", title_justify="left")
    for col in ("table", "rule", "action", "rows", "oldest"):
        table.add_column(col, justify="right" if col == "rows" else "left")
    notes: list[str] = []
    for ln in p.lines:
        if not ln.rows:
            continue
        action = ln.action
        if ln.action == "held" and ln.hold:
            action = f"held {ln.hold.split(':')[0]}"
            notes += [f"hold {ln.hold}"] if f"hold {ln.hold}" not in notes else []
        oldest = f"{ln.anchor} {_show_value(ln.oldest)}" if ln.oldest is not None else ""
        table.add_row(f"{ln.system}.{ln.table}", ln.reason, action, f"{ln.rows:,}", oldest)
    if table.row_count:
        c.out.print(table)
    else:
        c.out.print(f"Nothing has expired as of {p.as_of:%Y-%m-%d %H:%M} UTC.")
    for note in notes:
        c.out.print(note, highlight=False)
    t = p.totals()
    c.out.print(f"to delete: {t['delete']:,}  to anonymise: {t['anonymise']:,}  held: {t['held']:,}  "
                f"kept (still referenced): {t['kept']:,}")
    for w in p.warnings:
        c.err.print(f"[yellow]warning:[/yellow] {w}", highlight=False)


@retention_app.command("plan")
def plan_cmd(ctx: typer.Context, as_of: str | None = AsOfOpt, json_out: bool = JsonOpt) -> None:
    """Which rows have expired (now, or at --as-of to forecast), per table and rule."""
    from persondata.retention import service

    c = _context.get(ctx, json_out)
    p = service.forecast(c.policy().policy, c.settings, c.db(), as_of=parse_when(as_of))
    c.emit(p.to_dict(), lambda: _render_plan(c, p))


class _Bar:
    """A Rich progress bar on stderr, one task per table."""

    def __init__(self, c: _context.CliContext) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=c.err, transient=False,
                                 disable=c.json)
        self.task: Any = None

    def start(self, label: str, total: int) -> None:
        """A table starts."""
        if total:
            self.task = self.progress.add_task(label, total=total)
        else:
            self.task = None

    def advance(self, rows: int) -> None:
        """Rows were handled."""
        if self.task is not None:
            self.progress.advance(self.task, rows)


def _render_report(c: _context.CliContext, r: RunReport) -> None:
    from rich.table import Table

    table = Table(title=f"Retention run {r.run_id}: {r.status} (as of {r.as_of:%Y-%m-%d %H:%M} UTC)",
                  title_justify="left")
    for col in ("table", "rule", "action", "rows", "batches"):
        table.add_column(col, justify="right" if col in ("rows", "batches") else "left")
    for it in r.items:
        table.add_row(f"{it['system']}.{it['table']}", it["rule"], it["action"], f"{it['rows']:,}",
                      str(it["batches"]))
    if table.row_count:
        c.out.print(table)
    t = r.totals
    c.out.print(f"deleted: {t.get('delete', 0):,}  anonymised: {t.get('anonymise', 0):,}  "
                f"held: {t.get('held', 0):,}  vault keys destroyed: {r.shredded_keys}  "
                f"longest transaction: {r.longest_transaction:.3f} s")
    if r.settled:
        c.out.print(f"{r.settled} batch(es) left by an interrupted run were settled first.")
    for w in r.warnings:
        c.err.print(f"[yellow]warning:[/yellow] {w}", highlight=False)


@retention_app.command("run")
def run_cmd(ctx: typer.Context,
            batch_size: int = typer.Option(5000, "--batch-size", min=1, help="Rows per transaction."),
            dry_run: bool = typer.Option(False, "--dry-run", help="Only show the plan."),
            as_of: str | None = AsOfOpt, json_out: bool = JsonOpt) -> None:
    """Delete or anonymise every expired row, in batches, with a stored report."""
    from dataclasses import asdict

    from persondata.retention import service

    c = _context.get(ctx, json_out)
    when = parse_when(as_of)
    if dry_run:
        plan_cmd(ctx, as_of, json_out)
        return
    bar = _Bar(c)
    with bar.progress:
        report = service.run(c.policy().policy, c.settings, c.db(), as_of=when, batch_size=batch_size,
                             actor=_context.actor(), progress=bar,
                             crash_at=os.environ.get("PERSONDATA_RETENTION_CRASH") or None)
    c.emit(asdict(report), lambda: _render_report(c, report))


@retention_app.command("runs")
def runs_cmd(ctx: typer.Context, run_id: int | None = typer.Argument(None, help="Show one run."),
             limit: int = typer.Option(20, "--limit", min=1), json_out: bool = JsonOpt) -> None:
    """Past runs with their totals, or one run's report."""
    from rich.table import Table

    from persondata.retention import service

    c = _context.get(ctx, json_out)
    if run_id is not None:
        one = service.show_run(c.db(), run_id)

        def human_one() -> None:
            table = Table(title=f"Retention run {one['id']}: {one['status']}", title_justify="left")
            for col in ("table", "rule", "action", "rows", "batches"):
                table.add_column(col)
            for it in one["items"]:
                table.add_row(f"{it['system']}.{it['table']}", it["rule"], it["action"], f"{it['rows']:,}",
                              str(it["batches"]))
            c.out.print(table)
            if one["error"]:
                c.out.print(f"error: {one['error']}")

        c.emit(one, human_one)
        return
    rows = service.runs(c.db(), limit)

    def human() -> None:
        table = Table(title="Retention runs", title_justify="left")
        for col in ("id", "started", "as of", "status", "deleted", "anonymised", "held"):
            table.add_column(col)
        for r in rows:
            t = r["totals"]
            table.add_row(str(r["id"]), _show_value(r["started_at"]), _show_value(r["as_of"]), r["status"],
                          f"{t.get('delete', 0):,}", f"{t.get('anonymise', 0):,}", f"{t.get('held', 0):,}")
        c.out.print(table) if rows else c.out.print("No retention run yet.")

    c.emit(rows, human)


@hold_app.command("add")
def hold_add(ctx: typer.Context,
             reason: str = typer.Option(..., "--reason", help="Why: litigation, an authority's order..."),
             identity: str | None = typer.Option(None, "--identity", "-i",
                                                 help="KIND=VALUE: hold a subject."),
             table: str | None = typer.Option(None, "--table", help="SYSTEM.TABLE: hold a table."),
             system: str | None = typer.Option(None, "--system", help="SYSTEM: hold a whole system."),
             until: str | None = typer.Option(None, "--until",
                                              help="End date (ISO); default: until released."),
             json_out: bool = JsonOpt) -> None:
    """Place a hold: expiry and erasure leave what it covers alone and report it."""
    from persondata.db.base import utcnow
    from persondata.identity import Hasher, parse_identity
    from persondata.retention import holds

    c = _context.get(ctx, json_out)
    pol = c.policy().policy
    ident = parse_identity(identity, pol.controller.country) if identity else None
    with c.db().transaction() as s:
        hold = holds.place_hold(s, pol, Hasher(c.settings.require("hash_key")), reason=reason,
                                actor=_context.actor(), now=utcnow(), identity=ident, table=table,
                                system=system,
                                ends_at=parse_when(until, "--until"))
        out = _hold_dict(hold)
    c.emit(out, lambda: c.out.print(f"hold {out['id']} placed on {out['covers']}: {out['reason']}"
                                    + (f" (until {out['ends_at']:%Y-%m-%d})" if out["ends_at"] else "")))


@hold_app.command("list")
def hold_list(ctx: typer.Context, all_: bool = typer.Option(False, "--all", help="Include ended ones."),
              json_out: bool = JsonOpt) -> None:
    """Holds in force (or all)."""
    from rich.table import Table

    from persondata.db.base import utcnow
    from persondata.retention import holds

    c = _context.get(ctx, json_out)
    with c.db().transaction() as s:
        rows = [_hold_dict(h) for h in holds.list_holds(s, now=utcnow(), include_inactive=all_)]

    def human() -> None:
        if not rows:
            c.out.print("No holds in force.")
            return
        table = Table(title="Holds", title_justify="left")
        for col in ("id", "covers", "reason", "placed", "until", "released"):
            table.add_column(col)
        for h in rows:
            table.add_row(str(h["id"]), h["covers"], h["reason"], _show_value(h["placed_at"]),
                          _show_value(h["ends_at"]) or "released by hand", _show_value(h["released_at"]))
        c.out.print(table)

    c.emit(rows, human)


@hold_app.command("release")
def hold_release(ctx: typer.Context, hold_id: int = typer.Argument(..., help="The hold's id."),
                 json_out: bool = JsonOpt) -> None:
    """Release a hold; what it covered expires again as the policy says."""
    from persondata.db.base import utcnow
    from persondata.retention import holds

    c = _context.get(ctx, json_out)
    with c.db().transaction() as s:
        out = _hold_dict(holds.release_hold(s, hold_id, actor=_context.actor(), now=utcnow()))
    c.emit(out, lambda: c.out.print(f"hold {hold_id} released"))


@retention_app.command("opt-out")
def opt_out_cmd(ctx: typer.Context,
                identity: str = typer.Option(..., "--identity", "-i", help="KIND=VALUE of the subject."),
                revoke: bool = typer.Option(False, "--revoke", help="Opt back in to logging."),
                json_out: bool = JsonOpt) -> None:
    """Opt a subject out of logging: rows of tables declaring opt_out_flag expire at once."""
    from persondata.db.base import utcnow
    from persondata.identity import Hasher, parse_identity
    from persondata.retention import holds

    c = _context.get(ctx, json_out)
    pol = c.policy().policy
    ident = parse_identity(identity, pol.controller.country)
    with c.db().transaction() as s:
        row = holds.set_opt_out(s, Hasher(c.settings.require("hash_key")), ident, active=not revoke,
                                actor=_context.actor(), now=utcnow())
        out = {"identity": str(ident), "opted_out": row.active, "since": row.since}
    tables = [f"{sn}.{tn}" for sn, sy in pol.systems.items() for tn, t in sy.tables.items() if t.opt_out_flag]
    out["tables"] = tables
    c.emit(out, lambda: c.out.print(
        f"{ident} {'opted out of' if out['opted_out'] else 'opted back in to'} logging; "
        f"tables concerned: {', '.join(tables) or 'none declares opt_out_flag'}"))


def _hold_dict(h: Any) -> dict[str, Any]:
    covers = {"subject": f"subject ({h.identity_kind})", "table": f"{h.system}.{h.table}",
              "system": f"system {h.system}"}[h.scope]
    return {"id": h.id, "scope": h.scope, "covers": covers, "system": h.system, "table": h.table,
            "subject": h.subject, "reason": h.reason, "placed_at": h.placed_at, "placed_by": h.placed_by,
            "ends_at": h.ends_at, "released_at": h.released_at}


def register(app: typer.Typer) -> None:
    """Add the retention group."""
    app.add_typer(retention_app, name="retention")
