"""The `persondata` Typer app: global options, command groups, and error-to-exit-code mapping.

Exit codes: 0 done, 1 a negative answer or findings, 2 bad input, 3 a system failed.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from pathlib import Path

import typer
from rich.console import Console

from persondata import __version__
from persondata.cli._context import CliContext
from persondata.errors import PersondataError
from persondata.settings import load_settings

app = typer.Typer(
    name="persondata",
    help="Run your privacy policy for real: requests, retention, consent, breaches, audit.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"persondata {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    policy: Path = typer.Option(
        Path("privacy.yaml"), "--policy", "-p", envvar="PERSONDATA_POLICY",
        help="The policy file.",
    ),
    database: str | None = typer.Option(
        None, "--database", envvar="PERSONDATA_DATABASE_URL",
        help="persondata's own state (default: sqlite:///persondata.db beside the policy).",
    ),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable JSON output."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """persondata: run a company's privacy policy for real."""
    settings = load_settings(policy_path=policy, database_url=database)
    ctx.obj = CliContext(settings=settings, json=json_out)
    ctx.call_on_close(ctx.obj.close)


def _register_groups() -> None:
    import persondata.cli as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_") or info.name == "main":
            continue
        module = importlib.import_module(f"persondata.cli.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_groups()


def run(argv: list[str] | None = None) -> None:
    """Console entry point: run the app and turn every error into a message and an exit code."""
    err = Console(stderr=True, soft_wrap=True)
    try:
        result = app(args=argv, standalone_mode=False)
    except PersondataError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, markup=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(1)
    except typer.TyperException as exc:  # usage errors: bad option, missing argument
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            err.print(f"error: {exc}")
        code = getattr(exc, "exit_code", 2)
        sys.exit(code if code in (0, 1) else 2)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("PERSONDATA_DEBUG"):
            raise
        err.print(f"[red]internal error:[/red] {type(exc).__name__}: {exc}", highlight=False)
        err.print("set PERSONDATA_DEBUG=1 to see the traceback", highlight=False)
        sys.exit(3)
    sys.exit(result if isinstance(result, int) else 0)
