"""`persondata demo`: the most complete thing persondata can do, on a demo company."""

from __future__ import annotations

from pathlib import Path

import typer

from persondata.cli import _context


def demo(
    ctx: typer.Context,
    directory: Path = typer.Option(Path("demo"), "--dir", help="Where the demo company lives."),
) -> None:
    """Set up a demo company on embedded SQLite and show what persondata does with it."""
    from persondata.db.engine import Database
    from persondata.db.migrate import upgrade

    c = _context.get(ctx)
    directory.mkdir(parents=True, exist_ok=True)
    db = Database(f"sqlite:///{(directory / 'persondata.db').resolve()}")
    try:
        upgrade(db)
    finally:
        db.dispose()
    c.out.print(f"state database ready in {directory / 'persondata.db'}")


def register(app: typer.Typer) -> None:
    """Add the demo command."""
    app.command("demo")(demo)
