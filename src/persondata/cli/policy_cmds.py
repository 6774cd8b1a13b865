"""`persondata validate`: every problem of the policy file as `file:line: message`."""

from __future__ import annotations

import importlib
from typing import Any

import typer

from persondata.cli import _context
from persondata.errors import InputError, Problem


def _as_dict(p: Problem) -> dict[str, Any]:
    return {"file": p.file, "line": p.line, "message": p.message, "severity": p.severity}


def check_systems_hook(loaded: Any, json_out: bool) -> list[Problem]:
    """Connect to each system and compare the data map with the real tables (persondata.connectors.checks)."""
    try:
        module = importlib.import_module("persondata.connectors.checks")
    except ModuleNotFoundError as exc:
        if exc.name is not None and not "persondata.connectors.checks".startswith(exc.name):
            raise
        raise InputError("--check-systems is not available yet: the connectors' system checks "
                         "(persondata.connectors.checks) are not installed") from exc
    run = getattr(module, "check_systems", None)
    if run is None:
        raise InputError("--check-systems is not available yet: persondata.connectors.checks has no "
                         "check_systems(loaded) function")
    return list(run(loaded))


def validate(
    ctx: typer.Context,
    check_systems: bool = typer.Option(
        False, "--check-systems",
        help="Also connect to each system and check that its tables and columns exist.",
    ),
    json_flag: bool = _context.JsonFlag,
) -> None:
    """Check the policy file and report every problem as file:line: message (exit 2 on errors)."""
    from persondata.policy.loader import check_policy

    c = _context.get(ctx, json_flag)
    path = c.settings.policy_path
    loaded, problems = check_policy(path)
    if loaded is not None and check_systems:
        problems = problems + check_systems_hook(loaded, c.json)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]

    def human() -> None:
        for p in problems:
            c.out.print(str(p), highlight=False, markup=False)
        if errors:
            summary = f"{_count(len(errors), 'error')}, {_count(len(warnings), 'warning')}"
            c.out.print(f"{path}: invalid: {summary}", highlight=False, markup=False)
        else:
            c.out.print(f"{path}: valid ({_count(len(warnings), 'warning')})", highlight=False, markup=False)

    c.emit({"valid": not errors, "file": str(path),
            "errors": [_as_dict(p) for p in errors], "warnings": [_as_dict(p) for p in warnings]}, human)
    if errors:
        raise typer.Exit(2)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def register(app: typer.Typer) -> None:
    """Add the validate command."""
    app.command("validate")(validate)
