"""`persondata db`: the state database's schema."""

from __future__ import annotations

import typer

from persondata.cli import _context

db_app = typer.Typer(help="persondata's own state database.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Create or migrate the state database to the newest schema."""
    from persondata.db.engine import Database
    from persondata.db.migrate import upgrade as do_upgrade

    c = _context.get(ctx)
    db = Database(c.settings.state_url)
    try:
        do_upgrade(db)
    finally:
        db.dispose()
    c.emit({"database": db.engine.url.render_as_string(hide_password=True), "status": "current"},
           lambda: c.out.print(f"state database is current: {db.engine.url!r}"))


def register(app: typer.Typer) -> None:
    """Add the db group."""
    app.add_typer(db_app, name="db")
