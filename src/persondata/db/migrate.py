"""Alembic migrations: one branch per domain package, upgraded together to "heads"."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import OperationalError

from persondata.db.engine import Database
from persondata.errors import SystemFailure

MIGRATIONS = Path(__file__).parent / "migrations"


def import_all_models() -> None:
    """Import every domain's models module so that Base.metadata knows all tables."""
    import persondata

    for info in pkgutil.iter_modules(persondata.__path__):
        if info.ispkg:
            try:
                importlib.import_module(f"persondata.{info.name}.models")
            except ModuleNotFoundError as exc:
                if exc.name != f"persondata.{info.name}.models":
                    raise


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at persondata's migrations and the given database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(db: Database) -> None:
    """Bring the state database to the newest schema (all branches)."""
    cfg = alembic_config(db.url)
    try:
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")
    except OperationalError as exc:
        raise SystemFailure(f"cannot reach the state database {db.engine.url!r}: {exc.orig}") from exc


def is_current(db: Database) -> bool:
    """True when the database is at every migration head."""
    script = ScriptDirectory.from_config(alembic_config(db.url))
    try:
        with db.engine.connect() as conn:
            heads = set(MigrationContext.configure(conn).get_current_heads())
    except OperationalError as exc:
        raise SystemFailure(f"cannot reach the state database {db.engine.url!r}: {exc.orig}") from exc
    return heads == set(script.get_heads())


def ensure_current(db: Database) -> None:
    """Upgrade when the schema is behind; cheap when it is current."""
    if not is_current(db):
        upgrade(db)
