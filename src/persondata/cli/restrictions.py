"""`persondata restrictions check`: may an application process this person? (Art. 18)."""

from __future__ import annotations

import typer

from persondata.cli import _context
from persondata.cli.dsr import IdentityOpt, setup

restrictions_app = typer.Typer(help="Restricted subjects (Art. 18).", no_args_is_help=True)


@restrictions_app.command("check")
def check_cmd(
    ctx: typer.Context,
    identity: list[str] = IdentityOpt,
    json_flag: bool = _context.JsonFlag,
) -> None:
    """Exit 0 when the subject is not restricted, 1 when it is (fully or for rows held against erasure)."""
    from persondata.dsr.service import restriction_status

    c = _context.get(ctx, json_flag)
    _policy, hasher, ids = setup(c, identity)
    with c.db().transaction() as session:
        status = restriction_status(session, ids, hasher)

    def human() -> None:
        if not status.restricted:
            c.out.print("not restricted", highlight=False)
            return
        held = f"; {status.held_rows} rows held against erasure" if status.held_rows else ""
        since = status.since.date().isoformat() if status.since else "?"
        c.out.print(f"restricted ({', '.join(status.scopes)}) since {since}{held}", highlight=False)

    c.emit(status.to_json(), human)
    if status.restricted:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the restrictions group."""
    app.add_typer(restrictions_app, name="restrictions")
