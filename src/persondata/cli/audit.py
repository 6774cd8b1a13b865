"""`persondata audit verify|tail`: check the hash chain and show the newest entries."""

from __future__ import annotations

import json

import typer

from persondata.cli import _context

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@audit_app.command("verify")
def verify(
    ctx: typer.Context,
    anchor: list[str] = typer.Option([], "--anchor", help="ID:HASH of a head recorded earlier "
                                                          "(repeatable); must still be in the chain."),
    json_flag: bool = _context.JsonFlag,
) -> None:
    """Check every entry's hash and the sequence; exit 1 naming the first bad entry."""
    from persondata.audit import service

    c = _context.get(ctx, json_flag)
    anchors = dict(service.parse_anchor(a) for a in anchor)
    with c.db().transaction() as session:
        result = service.verify(session, anchors=anchors)
    data = {"ok": result.ok, "checked": result.checked, "head_id": result.head_id,
            "head_hash": result.head_hash,
            "broken": None if result.broken is None else {"entry": result.broken.entry_id,
                                                          "reason": result.broken.reason}}

    def human() -> None:
        if result.broken is not None:
            c.out.print(f"audit chain BROKEN at entry {result.broken.entry_id}: "
                        f"{result.broken.reason}", highlight=False)
            c.out.print(f"{result.checked} entries before it are intact", highlight=False)
        elif result.checked == 0:
            c.out.print("audit log is empty", highlight=False)
        else:
            c.out.print(f"audit chain intact: {result.checked} entries, head "
                        f"{result.head_id}:{result.head_hash}", highlight=False)

    c.emit(data, human)
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command("tail")
def tail(
    ctx: typer.Context,
    n: int = typer.Option(20, "-n", "--lines", min=1, help="How many entries."),
    json_flag: bool = _context.JsonFlag,
) -> None:
    """Show the newest entries, oldest first."""
    from persondata.audit import service

    c = _context.get(ctx, json_flag)
    with c.db().transaction() as session:
        entries = service.tail(session, n)
        rows = [{"id": e.id, "at": e.at, "actor": e.actor, "action": e.action,
                 "subject": e.subject, "target": e.target, "details": json.loads(e.details),
                 "hash": e.hash} for e in entries]

    def human() -> None:
        for r in rows:
            parts = [str(r["id"]), f"{r['at']:%Y-%m-%d %H:%M:%S}", r["actor"], r["action"]]
            if r["subject"]:
                parts.append(f"subject {r['subject'][:12]}…")
            if r["target"]:
                parts.append(r["target"])
            if r["details"]:
                parts.append(json.dumps(r["details"], ensure_ascii=False, sort_keys=True))
            c.out.print("  ".join(parts), highlight=False, markup=False)

    c.emit(rows, human)


def register(app: typer.Typer) -> None:
    """Add the audit group."""
    app.add_typer(audit_app, name="audit")
