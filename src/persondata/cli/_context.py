"""What every command gets: settings, the policy (loaded once), the state database, output."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from persondata.settings import Settings

if TYPE_CHECKING:
    from persondata.db.engine import Database
    from persondata.policy.loader import LoadedPolicy


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


@dataclass
class CliContext:
    """State shared by the commands of one invocation."""

    settings: Settings
    json: bool = False
    out: Console = field(default_factory=lambda: Console(soft_wrap=True))
    err: Console = field(default_factory=lambda: Console(stderr=True, soft_wrap=True))
    _policy: LoadedPolicy | None = None
    _db: Database | None = None

    def policy(self) -> LoadedPolicy:
        """The policy file, loaded and checked once (raises PolicyError on errors)."""
        if self._policy is None:
            from persondata.policy.loader import load_policy

            self._policy = load_policy(self.settings.policy_path)
        return self._policy

    def db(self) -> Database:
        """persondata's state database, migrated to the newest schema."""
        if self._db is None:
            from persondata.db.engine import Database
            from persondata.db.migrate import ensure_current

            self._db = Database(self.settings.state_url)
            ensure_current(self._db)
        return self._db

    def emit(self, data: Any, human: Callable[[], None] | None = None) -> None:
        """Print data as JSON with --json, else call the human renderer (or pretty-print)."""
        if self.json or human is None:
            sys.stdout.write(json.dumps(data, default=_default, ensure_ascii=False, indent=2) + "\n")
        else:
            human()

    def close(self) -> None:
        """Release the database connections."""
        if self._db is not None:
            self._db.dispose()


def get(ctx: typer.Context, json_flag: bool = False) -> CliContext:
    """The CliContext of this invocation; a command-level --json turns JSON on too."""
    obj = ctx.find_root().obj
    assert isinstance(obj, CliContext)
    if json_flag:
        obj.json = True
    return obj


def actor(given: str | None = None) -> str:
    """Who acts, for the audit log: --actor, else $PERSONDATA_ACTOR, else cli:<login name>."""
    if given:
        return given
    if os.environ.get("PERSONDATA_ACTOR"):
        return os.environ["PERSONDATA_ACTOR"]
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


JsonFlag = typer.Option(False, "--json", help="Machine-readable JSON output.")
