"""The command line's contract: exit codes, no tracebacks, state database creation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import inspect

from persondata.db.engine import Database
from persondata.db.migrate import is_current, upgrade


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point in a subprocess."""
    return subprocess.run(
        [sys.executable, "-c", "from persondata.cli.main import run; run()", *args],
        capture_output=True, text=True, cwd=cwd, timeout=120,
    )


def test_version_exits_zero() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("persondata ")


def test_unknown_command_is_usage_error_without_traceback() -> None:
    result = run_cli("no-such-command")
    assert result.returncode == 2
    assert "No such command" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_state_database_exits_3(tmp_path: Path) -> None:
    result = run_cli("--database", "postgresql+psycopg://nobody@127.0.0.1:1/none", "db", "upgrade")
    assert result.returncode == 3, result.stderr
    assert "cannot reach the state database" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_upgrade_creates_current_schema(state_url: str) -> None:
    db = Database(state_url)
    try:
        upgrade(db)
        assert is_current(db)
        assert "alembic_version" in inspect(db.engine).get_table_names()
        upgrade(db)  # idempotent
        assert is_current(db)
    finally:
        db.dispose()
